/** The message on the `omisell-forwards` queue: which delivery to attempt. */
import { type MessageSender, sendInBatches } from "../queue/send";

export const FORWARD_QUEUE = "omisell-forwards";

/**
 * The consumer loads the delivery from D1, so a copy of a message, or a message the sweeper
 * re-sent, changes nothing once the delivery has moved on.
 */
export type ForwardMessage = { deliveryId: string };

export function isForwardQueue(queueName: string): boolean {
  return queueName === FORWARD_QUEUE;
}

/** The delivery id of a message body, or null when the body is not one of ours. */
export function deliveryIdOf(body: unknown): string | null {
  if (typeof body !== "object" || body === null || !("deliveryId" in body)) return null;
  const { deliveryId } = body;
  return typeof deliveryId === "string" && deliveryId.length > 0 ? deliveryId : null;
}

/** One message per delivery, after `delaySeconds` if given. */
export async function sendForwards(queue: MessageSender<ForwardMessage>, deliveryIds: string[], delaySeconds?: number) {
  await sendInBatches(
    queue,
    deliveryIds.map((deliveryId) => ({ body: { deliveryId }, contentType: "json" })),
    delaySeconds ? { delaySeconds } : undefined,
  );
}
