/**
 * The message on the `omisell-forwards` queue: which delivery to attempt. The consumer loads the
 * delivery from D1, so a copy of a message, or a message the sweeper re-sent, changes nothing
 * once the delivery has moved on.
 */
export const FORWARD_QUEUE = "omisell-forwards";

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

/** One message per delivery, in `sendBatch` chunks of 100 (its limit), after `delaySeconds` if given. */
export async function sendForwards(queue: Queue<ForwardMessage>, deliveryIds: string[], delaySeconds?: number) {
  for (let start = 0; start < deliveryIds.length; start += 100) {
    const chunk = deliveryIds.slice(start, start + 100);
    await queue.sendBatch(
      chunk.map((deliveryId) => ({ body: { deliveryId }, contentType: "json" as const })),
      delaySeconds ? { delaySeconds } : undefined,
    );
  }
}
