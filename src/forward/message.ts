/** The messages on the `omisell-forwards` queue: a delivery to attempt, or a nudge to walk the feed. */
import { type MessageSender, sendInBatches } from "../queue/send";
import type { WalkNudge } from "../queue/walk-nudge";

export const FORWARD_QUEUE = "omisell-forwards";

/**
 * `{deliveryId}`: one attempt of that delivery; the consumer loads it from D1, so a copy of a
 * message, or one the sweeper re-sent, changes nothing once the delivery has moved on.
 * `{walk}`: walk the change feed for every active destination (`all`) or the one named.
 */
export type ForwardMessage = { deliveryId: string } | WalkNudge;

export function isForwardQueue(queueName: string): boolean {
  return queueName === FORWARD_QUEUE;
}

/** The delivery id of a message body, or null when the body is not a delivery's. */
export function deliveryIdOf(body: unknown): string | null {
  if (typeof body !== "object" || body === null || !("deliveryId" in body)) return null;
  const { deliveryId } = body;
  return typeof deliveryId === "string" && deliveryId.length > 0 ? deliveryId : null;
}

/** What a walk message asks to walk (`all` or a destination id), or null when the body is not one. */
export function walkOf(body: unknown): string | null {
  if (typeof body !== "object" || body === null || !("walk" in body)) return null;
  const { walk } = body;
  return typeof walk === "string" && walk.length > 0 ? walk : null;
}

/** One message per delivery, after `delaySeconds` if given. */
export async function sendForwards(queue: MessageSender<ForwardMessage>, deliveryIds: string[], delaySeconds?: number) {
  await sendInBatches(
    queue,
    deliveryIds.map((deliveryId) => ({ body: { deliveryId }, contentType: "json" })),
    delaySeconds ? { delaySeconds } : undefined,
  );
}
