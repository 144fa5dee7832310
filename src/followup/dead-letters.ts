/**
 * The consumer of `omisell-followups-dlq`: messages the queue gave up on after its retries. The
 * event ends `failed` (keeping its last error), never silently, and goes to forwarding; one settled
 * meanwhile, or reopened by a replay since the message was sent (a newer generation), is left as
 * it is.
 */
import { describeError } from "../errors";
import { enqueueDeliveries } from "../forward/enqueue";
import { log } from "../lib/log";
import { markEventDeadLettered } from "../store/followup-state";
import type { FollowupMessage } from "./message";
import { generationOf } from "./plan";

export async function consumeDeadLetters(batch: MessageBatch<FollowupMessage>, env: Env): Promise<void> {
  const settled: string[] = [];
  for (const message of batch.messages) {
    const eventId = message.body?.eventId;
    if (typeof eventId !== "string" || eventId.length === 0) {
      log("warn", "dead_letter_malformed", { attempts: message.attempts });
      message.ack();
      continue;
    }
    try {
      const marked = await markEventDeadLettered(
        env.DB,
        { id: eventId, generation: generationOf(message) },
        "the queue gave up on this follow-up after its retries (no error was recorded)",
        Date.now(),
      );
      if (marked) {
        log("warn", "followup_dead_lettered", { event_id: eventId });
        settled.push(eventId);
      }
      message.ack();
    } catch (err) {
      log("error", "dead_letter_write_failed", { event_id: eventId, error: describeError(err) });
      message.retry();
    }
  }
  await enqueueDeliveries(env, settled);
}
