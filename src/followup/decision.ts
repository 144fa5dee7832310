/**
 * How a follow-up consumer runs, and the steps its decisions are made of: settle then acknowledge,
 * retry, send back.
 */
import type { FollowupConfig } from "../config";
import { describeError } from "../errors";
import { log } from "../lib/log";
import { backoffSeconds } from "../queue/backoff";
import { type Dispatcher, dispatchBatch } from "../queue/dispatch";
import { ACK, type Fates, resend, retry } from "../queue/fate";
import { type AttemptRef, markFollowupsDue } from "../store/followup-state";
import type { FollowupDeps } from "./deps";
import { eventIdOf, type FollowupMessage, type FollowupQueueMessage } from "./message";
import { type Delayed, type Delivery, generationOf } from "./plan";

/**
 * One batch being decided: its deps, the follow-up settings, the fates decided so far, and whether
 * a write settled events (the consumer then nudges the destinations' walk once for the batch).
 */
export type BatchDecision = {
  deps: FollowupDeps;
  config: FollowupConfig;
  fates: Fates<FollowupMessage>;
  settled: boolean;
};

/** Fills in `batch.fates` for `messages` (the follow-up consumer's, or the dead letters'). */
export type DecideBatch = (messages: readonly FollowupQueueMessage[], batch: BatchDecision) => Promise<void>;

/**
 * A queue consumer that decides with `decide` and has the dispatcher carry the fates out
 * (queue/dispatch.ts): every message ends acknowledged, retried or sent back, also when deciding
 * throws halfway, or the `followup` config section is unusable. When a write of the batch settled
 * events, one nudge of the destinations' walk follows, whatever happened after it.
 */
export function followupConsumer(decide: DecideBatch) {
  return (batch: MessageBatch<FollowupMessage>, deps: FollowupDeps): Promise<void> =>
    dispatchBatch(
      batch.messages,
      async (fates) => {
        const decision: BatchDecision = { deps, config: deps.config.followup, fates, settled: false };
        try {
          await decide(batch.messages, decision);
        } finally {
          if (decision.settled) await deps.nudgeForwarding();
        }
      },
      followupDispatcher(deps),
    );
}

/**
 * A resend that cannot be sent marks its events due, so the sweeper sends them after
 * SWEEP_AFTER_SECONDS (and, should that write fail too, its rule for follow-ups never seen finds
 * them): never the queue's retry, which would count toward max_retries and could send a message
 * that only waited to the dead-letter queue.
 */
function followupDispatcher(deps: FollowupDeps): Dispatcher<FollowupMessage> {
  return {
    queue: deps.queue,
    resendFailed: (messages) => markFollowupsDue(deps.db, [...new Set(messages.flatMap(eventIdOf))]),
    random: deps.random,
  };
}

/** The follow-up a delivery is for: its event at the generation its message was sent for. */
export function attemptOf(delivery: Delivery<FollowupQueueMessage>): AttemptRef {
  return { id: delivery.event.id, generation: generationOf(delivery.message) };
}

export function eventIdsOf(deliveries: readonly Delivery<FollowupQueueMessage>[]): string[] {
  return [...new Set(deliveries.map((delivery) => delivery.event.id))];
}

/** Nothing could be decided (D1 failed): the queue's retry, each after its backoff on its delivery count. */
export function retryWithBackoff(batch: BatchDecision, messages: readonly FollowupQueueMessage[]): void {
  for (const message of messages) {
    batch.fates.set(message, retry(backoffSeconds(message.attempts, batch.config.backoff, batch.deps.random())));
  }
}

/**
 * A wait, not a try (Omisell busy, an order not quiet yet, another batch fetching it): each
 * message comes back as a fresh one after its delay, so its delivery count starts over.
 */
export function sendBack(batch: BatchDecision, waits: readonly Delayed<FollowupQueueMessage>[]): void {
  for (const wait of waits) batch.fates.set(wait.delivery.message, resend(wait.delaySeconds));
}

/**
 * Runs the D1 write that settles these deliveries' events: acknowledged when it lands (the batch
 * then nudges the destinations' walk, which finds on the feed whatever the guarded write did
 * settle); retried when it does not land.
 */
export async function settle(
  batch: BatchDecision,
  deliveries: readonly Delivery<FollowupQueueMessage>[],
  write: () => Promise<unknown>,
): Promise<void> {
  try {
    await write();
  } catch (err) {
    log("error", "followup_write_failed", { error: describeError(err) });
    retryWithBackoff(
      batch,
      deliveries.map((delivery) => delivery.message),
    );
    return;
  }
  for (const delivery of deliveries) batch.fates.set(delivery.message, ACK);
  batch.settled = true;
}
