/**
 * The doctor's probe of a queue: a send of `{probe: true}`, which every consumer acknowledges
 * unread, so the check proves the producer binding works without any effect.
 */

/** The body of a probe. No follow-up or forward message has a `probe` field. */
export const QUEUE_PROBE = { probe: true } as const;

export function isQueueProbe(body: unknown): boolean {
  return typeof body === "object" && body !== null && (body as { probe?: unknown }).probe === true;
}

/**
 * Acknowledges the probes of `batch` and hands back the rest as a batch of their own (null when
 * nothing else came), for the queue's consumer; a batch without probes is handed back as it is.
 */
export function withoutProbes<Body>(batch: MessageBatch<Body>): MessageBatch<Body> | null {
  const probes = batch.messages.filter((message) => isQueueProbe(message.body));
  if (probes.length === 0) return batch;
  for (const probe of probes) probe.ack();
  const rest = batch.messages.filter((message) => !isQueueProbe(message.body));
  if (rest.length === 0) return null;
  return {
    queue: batch.queue,
    metadata: batch.metadata,
    messages: rest,
    ackAll: () => {
      for (const message of rest) message.ack();
    },
    retryAll: (options) => {
      for (const message of rest) message.retry(options);
    },
  };
}
