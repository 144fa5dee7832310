/**
 * Sends follow-up messages back to the queue to come again later: a wait (Omisell busy, an order
 * not quiet yet, another batch fetching it), never a try.
 */
import { describeError } from "../errors";
import { log } from "../lib/log";
import type { FollowupMessage } from "./message";
import type { Delivery } from "./plan";

type QueueMessage = Message<FollowupMessage>;

/**
 * Sends each message again as a fresh one after its delay and acknowledges it (a wait, not a try:
 * the queue's delivery count starts over); when the send fails, retries the message instead.
 * A wait for a quiet order is a few seconds, well inside the sweeper's grace: nothing is written.
 */
export async function sendBack(
  env: Env,
  waits: readonly { delivery: Delivery<QueueMessage>; delaySeconds: number }[],
): Promise<void> {
  try {
    await env.FOLLOWUPS.sendBatch(
      waits.map((wait) => ({
        body: wait.delivery.message.body,
        contentType: "json" as const,
        delaySeconds: wait.delaySeconds,
      })),
    );
    for (const wait of waits) wait.delivery.message.ack();
  } catch (err) {
    log("error", "followup_requeue_failed", {
      events: [...new Set(waits.map((wait) => wait.delivery.event.id))],
      error: describeError(err),
    });
    for (const wait of waits) wait.delivery.message.retry({ delaySeconds: wait.delaySeconds });
  }
}
