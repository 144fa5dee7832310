/**
 * The message on the `omisell-followups` queue: which event to follow up, and why. The body is
 * small on purpose; the consumer loads the event from D1, so a message can be repeated or
 * replayed any number of times with the same end state.
 */
export type FollowupReason = "push" | "sweep" | "replay";

export type FollowupMessage = { eventId: string; reason: FollowupReason };

export function enqueueFollowup(queue: Queue<FollowupMessage>, eventId: string, reason: FollowupReason) {
  return queue.send({ eventId, reason }, { contentType: "json" });
}

/** The dead-letter queue is `omisell-followups-dlq` (any queue named `*-dlq` is treated as one). */
export function isDeadLetterQueue(queueName: string): boolean {
  return queueName.endsWith("-dlq");
}
