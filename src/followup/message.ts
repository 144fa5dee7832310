/** The message on the `omisell-followups` queue, and the ways to send it. */
import { type MessageSender, sendInBatches } from "../queue/send";

export type FollowupReason = "push" | "sweep" | "replay" | "reconcile";

/**
 * Which event to follow up, and why. Small on purpose: the consumer loads the event from D1, so a
 * message can be repeated or replayed any number of times with the same end state.
 */
export type FollowupMessage = {
  eventId: string;
  reason: FollowupReason;
  /**
   * The event's `attempts` when this follow-up began: a replay keeps earlier attempts as history,
   * and its own retry budget counts from there. Absent: from zero.
   */
  attemptsBefore?: number;
  /**
   * The event's `generation` this follow-up was sent for (absent: 0, the first). A replay reopens
   * the event with the next generation; messages of an earlier one are then acknowledged unread,
   * and none of their writes can land.
   */
  generation?: number;
  /**
   * How many times the dead-letter consumer has sent this follow-up back for another round of the
   * queue's retries without a try being recorded (absent: 0). Bounded, so a message that keeps
   * its consumer from deciding cannot cycle until retention.
   */
  deadLetterRounds?: number;
};

/** A follow-up message as the consumer receives it. */
export type FollowupQueueMessage = Message<FollowupMessage>;

/** The event a message names: `[id]`, or `[]` for a malformed body. */
export function eventIdOf(message: { body?: Partial<FollowupMessage> | null }): string[] {
  const eventId = message.body?.eventId;
  return typeof eventId === "string" && eventId.length > 0 ? [eventId] : [];
}

export function enqueueFollowup(
  queue: Queue<FollowupMessage>,
  eventId: string,
  reason: FollowupReason,
  attemptsBefore?: number,
  generation?: number,
) {
  return queue.send(followupBody(eventId, reason, attemptsBefore, generation), { contentType: "json" });
}

/** The message body, without the optional fields at their defaults (small messages). */
export function followupBody(
  eventId: string,
  reason: FollowupReason,
  attemptsBefore?: number,
  generation?: number,
): FollowupMessage {
  return {
    eventId,
    reason,
    ...(attemptsBefore ? { attemptsBefore } : {}),
    ...(generation ? { generation } : {}),
  };
}

/** Many follow-ups at once. Items are event ids (first generation) or full bodies. */
export async function enqueueFollowups(
  queue: MessageSender<FollowupMessage>,
  items: readonly (string | FollowupMessage)[],
  reason: FollowupReason,
) {
  await sendInBatches(
    queue,
    items.map((item) => ({ body: typeof item === "string" ? { eventId: item, reason } : item, contentType: "json" })),
  );
}

/** The dead-letter queue is `omisell-followups-dlq` (any queue named `*-dlq` is treated as one). */
export function isDeadLetterQueue(queueName: string): boolean {
  return queueName.endsWith("-dlq");
}
