/**
 * The one dispatcher: it carries out the fates a consumer decided (ack, the queue's retry, a
 * resend as a fresh message), sends every resend in one sendBatch, and still ends every message
 * in a defined outcome when deciding throws.
 */
import { createExecutionContext, createMessageBatch, getQueueResult } from "cloudflare:test";
import { describe, expect, it, vi } from "vitest";
import { type Dispatcher, dispatchBatch } from "../src/queue/dispatch";
import { ACK, type Fates, resend, retry } from "../src/queue/fate";

type Body = { n: number };

function batchOf(count: number, attempts = 1) {
  return createMessageBatch<Body>(
    "some-queue",
    Array.from({ length: count }, (_, n) => ({ id: `m-${n}`, timestamp: new Date(), attempts, body: { n } })),
  );
}

/** A dispatcher whose queue records each sendBatch call, or throws when `failing`. */
function recordingDispatcher(options: { failing?: boolean; resendFailed?: Dispatcher<Body>["resendFailed"] } = {}) {
  const calls: MessageSendRequest<Body>[][] = [];
  const dispatcher: Dispatcher<Body> = {
    queue: {
      async sendBatch(messages) {
        if (options.failing) throw new Error("queue unavailable");
        calls.push([...messages]);
      },
    },
    resendFailed: options.resendFailed ?? (async () => {}),
    random: () => 0.5,
  };
  return { calls, dispatcher };
}

async function dispatch(
  batch: MessageBatch<Body>,
  decide: (fates: Fates<Body>) => Promise<void>,
  dispatcher: Dispatcher<Body>,
) {
  const retried: { id: string; delaySeconds: number | undefined }[] = [];
  for (const message of batch.messages) {
    const original = message.retry.bind(message);
    vi.spyOn(message, "retry").mockImplementation((options) => {
      retried.push({ id: message.id, delaySeconds: options?.delaySeconds });
      original(options);
    });
  }
  await dispatchBatch(batch.messages, decide, dispatcher);
  const result = await getQueueResult(batch, createExecutionContext());
  return { acked: result.explicitAcks, retried };
}

describe("dispatchBatch", () => {
  it("acknowledges, retries after the delay, and sends every resend in one sendBatch", async () => {
    const batch = batchOf(4);
    const [ack, again, later, other] = batch.messages;
    const { calls, dispatcher } = recordingDispatcher();

    const result = await dispatch(
      batch,
      async (fates) => {
        if (!ack || !again || !later || !other) throw new Error("batch too short");
        fates.set(ack, ACK);
        fates.set(again, retry(30));
        fates.set(later, resend(5));
        fates.set(other, resend(60, { n: 99 }));
      },
      dispatcher,
    );

    expect(result.retried).toEqual([{ id: "m-1", delaySeconds: 30 }]);
    // A resend is a wait, not a try: the original is acknowledged.
    expect(result.acked.sort()).toEqual(["m-0", "m-2", "m-3"]);
    expect(calls).toEqual([
      [
        { body: { n: 2 }, contentType: "json", delaySeconds: 5 },
        { body: { n: 99 }, contentType: "json", delaySeconds: 60 },
      ],
    ]);
  });

  it("keeps the fates decided before a throw and retries every other message with backoff", async () => {
    const batch = batchOf(3);
    const { calls, dispatcher } = recordingDispatcher();

    const result = await dispatch(
      batch,
      async (fates) => {
        const [first] = batch.messages;
        if (first) fates.set(first, ACK);
        throw new Error("unexpected");
      },
      dispatcher,
    );

    expect(result.acked).toEqual(["m-0"]);
    // UNDECIDED_BACKOFF on a first delivery, at the middle of the jitter: 10/2 + 10/2 · 0.5.
    expect(result.retried).toEqual([
      { id: "m-1", delaySeconds: 8 },
      { id: "m-2", delaySeconds: 8 },
    ]);
    expect(calls).toEqual([]);
  });

  it("retries a message its consumer left undecided, later the more often it came back", async () => {
    const batch = batchOf(1, 5);
    const { dispatcher } = recordingDispatcher();

    const result = await dispatch(batch, async () => {}, dispatcher);

    expect(result.acked).toEqual([]);
    expect(result.retried).toEqual([{ id: "m-0", delaySeconds: 120 }]);
  });

  it("acknowledges resends it could not send, after the consumer's resendFailed saw them", async () => {
    const batch = batchOf(2);
    const seen: number[] = [];
    const { dispatcher } = recordingDispatcher({
      failing: true,
      resendFailed: async (messages) => {
        seen.push(...messages.map((message) => message.body.n));
      },
    });

    const result = await dispatch(
      batch,
      async (fates) => {
        for (const message of batch.messages) fates.set(message, resend(40));
      },
      dispatcher,
    );

    expect(seen).toEqual([0, 1]);
    expect(result.retried).toEqual([]);
    expect(result.acked.sort()).toEqual(["m-0", "m-1"]);
  });

  it("still acknowledges them when resendFailed throws too", async () => {
    const batch = batchOf(1);
    const { dispatcher } = recordingDispatcher({
      failing: true,
      resendFailed: () => {
        throw new Error("D1 down too");
      },
    });

    const result = await dispatch(
      batch,
      async (fates) => {
        for (const message of batch.messages) fates.set(message, resend(40));
      },
      dispatcher,
    );

    expect(result.retried).toEqual([]);
    expect(result.acked).toEqual(["m-0"]);
  });
});
