/** Sending many messages to a queue: `sendBatch` takes at most 100 at a time. */

/** The part of a queue a sender uses (a test hands in a recording one). */
export type MessageSender<B> = {
  sendBatch(messages: Iterable<MessageSendRequest<B>>, options?: QueueSendBatchOptions): Promise<unknown>;
};

const SEND_BATCH_LIMIT = 100;

/** Sends `messages` in `sendBatch` calls of at most 100, in order; the first failure throws. */
export async function sendInBatches<B>(
  queue: MessageSender<B>,
  messages: readonly MessageSendRequest<B>[],
  options?: QueueSendBatchOptions,
): Promise<void> {
  for (let start = 0; start < messages.length; start += SEND_BATCH_LIMIT) {
    await queue.sendBatch(messages.slice(start, start + SEND_BATCH_LIMIT), options);
  }
}
