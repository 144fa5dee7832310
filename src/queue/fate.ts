/** What becomes of a queue message, as its consumer decides it: the one vocabulary of every consumer. */

/**
 * - `ack`: done (settled, or nothing to do).
 * - `retry`: the queue's own retry after `delaySeconds`; it counts toward the consumer's
 *   `max_retries`, and the last one sends the message to the dead-letter queue (where there is one).
 * - `resend`: a wait, not a try: a fresh message (the original `body` unless another is given) is
 *   sent after `delaySeconds` and the original acknowledged, so the delivery count starts over.
 */
export type Fate<B> =
  | { kind: "ack" }
  | { kind: "retry"; delaySeconds: number }
  | { kind: "resend"; delaySeconds: number; body?: B };

/** The fates a consumer has decided so far, by message; a message without one is undecided. */
export type Fates<B> = Map<Message<B>, Fate<B>>;

export const ACK: Fate<never> = { kind: "ack" };

export function retry(delaySeconds: number): Fate<never> {
  return { kind: "retry", delaySeconds };
}

export function resend<B>(delaySeconds: number, body?: B): Fate<B> {
  return body === undefined ? { kind: "resend", delaySeconds } : { kind: "resend", delaySeconds, body };
}
