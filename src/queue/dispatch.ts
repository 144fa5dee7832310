/** The one dispatcher: carries out the fates a consumer decided for its batch. */
import { describeError } from "../errors";
import { log } from "../lib/log";
import { type BackoffPolicy, backoffSeconds } from "./backoff";
import type { Fate, Fates } from "./fate";
import { type MessageSender, sendInBatches } from "./send";

export type Dispatcher<B> = {
  /** Where resends go: the consumer's own queue (for the dead-letter consumer, the queue it drains). */
  queue: MessageSender<B>;
  /**
   * The resends could not be sent: make sure their work is found again without a message (the
   * follow-ups are marked due in D1 for the sweeper; a delivery's row already says when it is
   * due). The messages are acknowledged after, whatever happens here: a retry would count toward
   * `max_retries`, and a wait must never use up a message's tries.
   */
  resendFailed(messages: readonly Message<B>[]): Promise<void>;
  /** Defaults to Math.random. */
  random?: () => number;
};

/**
 * The fate of a message its consumer left undecided (it threw halfway, or missed one): the
 * queue's retry, after this backoff on the message's delivery count.
 */
export const UNDECIDED_BACKOFF: BackoffPolicy = { baseSeconds: 10, maxSeconds: 3600 };

/**
 * Runs `decide`, which fills in the fates of `messages` as it goes, then carries every fate out:
 * acks and retries on the messages, all resends in one `sendBatch`. Never throws: should
 * `decide` throw, the fates it had decided still hold, and every other message is retried after
 * UNDECIDED_BACKOFF (nothing is acknowledged that was not decided).
 * @example
 * await dispatchBatch(batch.messages, async (fates) => {
 *   for (const message of batch.messages) fates.set(message, ACK);
 * }, { queue: env.FOLLOWUPS, resendFailed: async () => {} });
 */
export async function dispatchBatch<B>(
  messages: readonly Message<B>[],
  decide: (fates: Fates<B>) => Promise<void>,
  dispatcher: Dispatcher<B>,
): Promise<void> {
  const fates: Fates<B> = new Map();
  try {
    await decide(fates);
  } catch (err) {
    log("error", "queue_decide_failed", { error: describeError(err), decided: fates.size, messages: messages.length });
  }
  const random = dispatcher.random ?? Math.random;
  const resends: { message: Message<B>; fate: Extract<Fate<B>, { kind: "resend" }> }[] = [];
  let undecided = 0;
  for (const message of messages) {
    let fate = fates.get(message);
    if (!fate) {
      undecided += 1;
      fate = { kind: "retry", delaySeconds: backoffSeconds(message.attempts, UNDECIDED_BACKOFF, random()) };
    }
    if (fate.kind === "ack") message.ack();
    else if (fate.kind === "retry") message.retry({ delaySeconds: fate.delaySeconds });
    else resends.push({ message, fate });
  }
  if (undecided > 0) log("error", "queue_messages_undecided", { messages: undecided, outcome: "retry" });
  if (resends.length > 0) await sendResends(resends, dispatcher);
}

async function sendResends<B>(
  resends: { message: Message<B>; fate: Extract<Fate<B>, { kind: "resend" }> }[],
  dispatcher: Dispatcher<B>,
): Promise<void> {
  const messages = resends.map((resend) => resend.message);
  try {
    await sendInBatches(
      dispatcher.queue,
      resends.map(({ message, fate }) => ({
        body: fate.body === undefined ? message.body : fate.body,
        contentType: "json" as const,
        delaySeconds: fate.delaySeconds,
      })),
    );
  } catch (err) {
    log("error", "queue_resend_failed", { messages: messages.length, error: describeError(err) });
    try {
      await dispatcher.resendFailed(messages);
    } catch (markErr) {
      log("error", "queue_resend_fallback_failed", { error: describeError(markErr) });
    }
  }
  for (const message of messages) message.ack();
}
