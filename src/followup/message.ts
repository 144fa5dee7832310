/**
 * The message on the `omisell-followups` queue: which event to follow up, and why. The body is
 * small on purpose; the consumer loads the event from D1, so a message can be repeated or
 * replayed any number of times with the same end state.
 */
export type FollowupReason = "push" | "sweep" | "replay" | "reconcile";

export type FollowupMessage = {
  eventId: string;
  reason: FollowupReason;
  /**
   * The event's `attempts` when this follow-up began: a replay keeps earlier attempts as history,
   * and its own retry budget counts from there. Absent: from zero.
   */
  attemptsBefore?: number;
};

export function enqueueFollowup(
  queue: Queue<FollowupMessage>,
  eventId: string,
  reason: FollowupReason,
  attemptsBefore?: number,
) {
  const body: FollowupMessage = attemptsBefore ? { eventId, reason, attemptsBefore } : { eventId, reason };
  return queue.send(body, { contentType: "json" });
}

/** Many follow-ups at once: `sendBatch`, in chunks of 100 (its limit). */
export async function enqueueFollowups(queue: Queue<FollowupMessage>, eventIds: string[], reason: FollowupReason) {
  for (let start = 0; start < eventIds.length; start += 100) {
    const chunk = eventIds.slice(start, start + 100);
    await queue.sendBatch(chunk.map((eventId) => ({ body: { eventId, reason }, contentType: "json" as const })));
  }
}

/** The dead-letter queue is `omisell-followups-dlq` (any queue named `*-dlq` is treated as one). */
export function isDeadLetterQueue(queueName: string): boolean {
  return queueName.endsWith("-dlq");
}
