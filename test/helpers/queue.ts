/**
 * Queues in the workers tests: a batch run through the worker's real `queue` handler as the
 * queue of that name would deliver it (reporting what the consumer did with each message), and a
 * producer whose sends are recorded instead of delivered.
 */
import { createExecutionContext, createMessageBatch, getQueueResult } from "cloudflare:test";
import { vi } from "vitest";
import type { FollowupMessage } from "../../src/followup/message";

/** The messages acknowledged, and those retried with their delay (getQueueResult records no delay). */
export type BatchOutcome = { acked: string[]; retried: { id: string; delaySeconds: number | undefined }[] };

/**
 * Hands `messages` to the worker's `queue` handler as a batch of `queueName`, with `workerEnv`;
 * or, when `consume` is given, to it (a consumer called directly with deps of the test's own).
 */
export async function runBatch<Body>(
  queueName: string,
  messages: { id: string; attempts: number; body: Body }[],
  workerEnv: Env,
  consume?: (batch: MessageBatch<Body>) => Promise<void>,
): Promise<BatchOutcome> {
  const batch = createMessageBatch<Body>(
    queueName,
    messages.map((message) => ({ ...message, timestamp: new Date() })),
  );
  const retried: BatchOutcome["retried"] = [];
  for (const message of batch.messages) {
    const original = message.retry.bind(message);
    vi.spyOn(message, "retry").mockImplementation((options) => {
      retried.push({ id: message.id, delaySeconds: options?.delaySeconds });
      original(options);
    });
  }
  const ctx = createExecutionContext();
  if (consume) {
    await consume(batch);
  } else {
    // Imported here so the client tests do not load the whole app.
    const { default: worker } = await import("../../src/index");
    // The handler is typed for follow-up messages; it dispatches on the queue name.
    await worker.queue(batch as unknown as MessageBatch<FollowupMessage>, workerEnv);
  }
  const result = await getQueueResult(batch, ctx);
  return { acked: result.explicitAcks, retried };
}

/**
 * Records the bodies sent to `queue` with `sendBatch` instead of delivering them, until
 * `vi.restoreAllMocks()`. Returns the list it fills.
 *
 * @example
 * const sent = recordSends<FollowupMessage>(env.FOLLOWUPS);
 */
export function recordSends<Body>(queue: Queue): Body[] {
  const sent: Body[] = [];
  vi.spyOn(queue, "sendBatch").mockImplementation(async (messages) => {
    for (const message of messages) sent.push(message.body as Body);
    return { metadata: { metrics: { backlogCount: 0, backlogBytes: 0 } } } as QueueSendBatchResponse;
  });
  return sent;
}
