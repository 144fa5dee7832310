/**
 * The follow-up consumer, driven with createMessageBatch through the worker's queue handler and a
 * stub Omisell API: what it fetches, what it stores, and what it decides for each event.
 */
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import { MAX_DEAD_LETTER_ROUNDS } from "../src/followup/dead-letters";
import { getSnapshot } from "../src/store/resources";
import {
  deliver,
  envelopeError,
  insertReceivedEvent,
  newOrderNumber,
  orderAnswer,
  readEvent,
  recordingFollowupQueue,
  stubOmisell,
} from "./helpers/followup";

afterEach(() => {
  vi.restoreAllMocks();
});

function orderNumberOf(url: string) {
  return decodeURIComponent(url.split("/").at(-1) ?? "");
}

describe("a successful follow-up", () => {
  it("fetches the order with account auth, stores the snapshot and marks the event processed", async () => {
    const orderNumber = newOrderNumber();
    const id = await insertReceivedEvent({ order_number: orderNumber });
    const calls = stubOmisell(() => orderAnswer(orderNumber, { status_name: "Delivered" }));

    const result = await deliver([{ eventId: id }]);

    expect(calls).toHaveLength(1);
    expect(calls[0]?.url).toBe(`https://api.omisell.test/api/v2/public/order/${orderNumber}`);
    expect(calls[0]?.headers.get("authorization")).toBe("Account test-account-key");
    expect(result.acked).toEqual(["msg-0"]);
    const event = await readEvent(id);
    expect(event).toMatchObject({ status: "processed", attempts: 1, last_error: null });
    expect(event?.processed_at).toBeGreaterThan(0);
    const snapshot = await getSnapshot(env.DB, "order", orderNumber);
    expect(snapshot).toMatchObject({ status_name: "Delivered", last_event_id: id, seller_id: "1001" });
    expect(JSON.parse(snapshot?.data ?? "{}")).toMatchObject({ omisell_order_number: orderNumber });
  });

  it("fetches the order once for several events of that order in one batch", async () => {
    const orderNumber = newOrderNumber();
    const ids = [
      await insertReceivedEvent({ order_number: orderNumber, event: "order.shipped" }),
      await insertReceivedEvent({ order_number: orderNumber, event: "shipment.shipped", category: "shipment" }),
      await insertReceivedEvent({ order_number: orderNumber, event: "order.si.generate", category: "sale_invoice" }),
    ];
    const calls = stubOmisell(() => orderAnswer(orderNumber));

    await deliver(ids.map((eventId) => ({ eventId })));

    expect(calls).toHaveLength(1);
    for (const id of ids) expect((await readEvent(id))?.status).toBe("processed");
    expect((await getSnapshot(env.DB, "order", orderNumber))?.last_event_id).toBe(ids.toSorted().at(-1));
  });

  it("fetches the order of shipment, return and invoice events by their omisell_order_number", async () => {
    const cases = [
      ["shipment.delivered", "shipment"],
      ["order_return.all", "return"],
      ["order.si.generate", "sale_invoice"],
    ] as const;
    const events = await Promise.all(
      cases.map(async ([event, category]) => {
        const orderNumber = newOrderNumber();
        return { orderNumber, id: await insertReceivedEvent({ event, category, order_number: orderNumber }) };
      }),
    );
    const calls = stubOmisell((call) => orderAnswer(orderNumberOf(call.url)));

    await deliver(events.map(({ id }) => ({ eventId: id })));

    expect(calls.map((call) => orderNumberOf(call.url)).sort()).toEqual(events.map((e) => e.orderNumber).sort());
    for (const { id } of events) expect((await readEvent(id))?.status).toBe("processed");
  });

  it("acknowledges a repeated message for an event already processed without fetching again", async () => {
    const orderNumber = newOrderNumber();
    const id = await insertReceivedEvent({ order_number: orderNumber });
    const calls = stubOmisell(() => orderAnswer(orderNumber));
    await deliver([{ eventId: id }]);

    const repeat = await deliver([{ eventId: id, reason: "sweep" }]);

    expect(calls).toHaveLength(1);
    expect(repeat.acked).toEqual(["msg-0"]);
    expect((await readEvent(id))?.attempts).toBe(1);
  });

  it("acknowledges a message whose event no longer exists", async () => {
    const calls = stubOmisell(() => new Response("unexpected", { status: 500 }));
    const result = await deliver([{ eventId: "01ZZZZZZZZZZZZZZZZZZZZZZZZ" }]);
    expect(result.acked).toEqual(["msg-0"]);
    expect(calls).toHaveLength(0);
  });

  it("keeps at most FOLLOWUP_PARALLELISM fetches in flight", async () => {
    const orderNumbers = Array.from({ length: 10 }, () => newOrderNumber());
    const ids = await Promise.all(orderNumbers.map((order_number) => insertReceivedEvent({ order_number })));
    let inFlight = 0;
    let peak = 0;
    stubOmisell(async (call) => {
      inFlight += 1;
      peak = Math.max(peak, inFlight);
      await new Promise((r) => setTimeout(r, 20));
      inFlight -= 1;
      return orderAnswer(orderNumberOf(call.url));
    });

    await deliver(ids.map((eventId) => ({ eventId })));

    expect(peak).toBe(4); // FOLLOWUP_PARALLELISM default
    for (const id of ids) expect((await readEvent(id))?.status).toBe("processed");
  });
});

describe("events with nothing to fetch", () => {
  it("skips an invalid event with the reason in last_error", async () => {
    const id = await insertReceivedEvent({ event: "order.teleported", category: "invalid" });
    const calls = stubOmisell(() => new Response("unexpected", { status: 500 }));

    const result = await deliver([{ eventId: id }]);

    expect(calls).toHaveLength(0);
    expect(result.acked).toEqual(["msg-0"]);
    const event = await readEvent(id);
    expect(event?.status).toBe("skipped");
    expect(event?.last_error).toContain("order.teleported");
  });

  it("skips an order event without an omisell_order_number", async () => {
    const id = await insertReceivedEvent({ order_number: null });
    stubOmisell(() => new Response("unexpected", { status: 500 }));

    await deliver([{ eventId: id }]);

    const event = await readEvent(id);
    expect(event?.status).toBe("skipped");
    expect(event?.last_error).toContain("omisell_order_number");
  });
});

describe("snapshot ordering", () => {
  it("never replaces a snapshot with one from a fetch that started earlier", async () => {
    const orderNumber = newOrderNumber();
    const slow = await insertReceivedEvent({ order_number: orderNumber });
    const fast = await insertReceivedEvent({ order_number: orderNumber });
    // The first fetch starts first but answers last, with what was then the older state.
    let releaseSlow: () => void = () => {};
    const slowGate = new Promise<void>((resolve) => {
      releaseSlow = resolve;
    });
    let call = 0;
    stubOmisell(async () => {
      call += 1;
      if (call === 1) {
        await slowGate;
        return orderAnswer(orderNumber, { status_name: "Shipped" });
      }
      return orderAnswer(orderNumber, { status_name: "Delivered" });
    });

    const first = deliver([{ eventId: slow }]);
    await new Promise((r) => setTimeout(r, 5));
    // The slow fetch outlives its claim on the order, so a second batch fetches it too.
    await env.DB.prepare("DELETE FROM order_fetch_claims WHERE order_number = ?1").bind(orderNumber).run();
    await deliver([{ eventId: fast }]);
    releaseSlow();
    await first;

    expect((await getSnapshot(env.DB, "order", orderNumber))?.status_name).toBe("Delivered");
    expect((await readEvent(slow))?.status).toBe("processed");
  });
});

describe("failures", () => {
  it.each([
    ["HTTP 500", () => new Response("boom", { status: 500 }), "HTTP 500"],
    ["HTTP 503", () => new Response("", { status: 503 }), "HTTP 503"],
    ["an error:true envelope with code 500 on HTTP 200", () => envelopeError(500, "server busy"), "server busy"],
    ["a malformed answer", () => new Response("<html>", { status: 200 }), "malformed"],
    [
      "a network error",
      () => {
        throw new TypeError("connection reset");
      },
      "connection reset",
    ],
  ])("retries after %s with backoff and records the attempt", async (_name, answer, errorText) => {
    const id = await insertReceivedEvent({ attempts: 2 });
    stubOmisell(answer);

    const before = Date.now();
    const result = await deliver([{ eventId: id }]);

    // try 3 with base 10 s: ceiling 40 s, equal jitter -> 20..40 s.
    expect(result.retried).toHaveLength(1);
    const delay = result.retried[0]?.delaySeconds ?? 0;
    expect(delay).toBeGreaterThanOrEqual(20);
    expect(delay).toBeLessThanOrEqual(40);
    const event = await readEvent(id);
    expect(event).toMatchObject({ status: "received", attempts: 3 });
    expect(event?.last_error).toContain(errorText);
    expect(event?.next_attempt_at).toBeGreaterThanOrEqual(before + delay * 1000);
  });

  it("caps the delay at FOLLOWUP_BACKOFF_MAX_SECONDS", async () => {
    const id = await insertReceivedEvent({ attempts: 7 });
    stubOmisell(() => new Response("", { status: 502 }));

    const result = await deliver([{ eventId: id }], "omisell-followups", {
      FOLLOWUP_BACKOFF_MAX_SECONDS: "60",
    });

    // uncapped, try 8 would wait 1280..2560 s
    expect(result.retried[0]?.delaySeconds).toBeLessThanOrEqual(60);
    expect(result.retried[0]?.delaySeconds).toBeGreaterThanOrEqual(30);
  });

  it.each([
    ["HTTP 404", () => new Response('{"error":true,"error_code":404,"messages":"order not found"}', { status: 404 })],
    ["HTTP 400", () => new Response("bad request", { status: 400 })],
    ["an error:true envelope with code 404", () => envelopeError(404, "order not found")],
  ])("fails the event at once after %s", async (_name, answer) => {
    const id = await insertReceivedEvent();
    stubOmisell(answer);

    const result = await deliver([{ eventId: id, attempts: 1 }]);

    expect(result.retried).toEqual([]);
    expect(result.acked).toEqual(["msg-0"]);
    const event = await readEvent(id);
    expect(event).toMatchObject({ status: "failed", attempts: 1 });
    expect(event?.last_error).toMatch(/40[04]/);
  });

  it("fails with a readable error when the account key is not configured", async () => {
    const id = await insertReceivedEvent();
    const calls = stubOmisell(() => new Response("unexpected"));

    await deliver([{ eventId: id }], "omisell-followups", { OMISELL_ACCOUNT_KEY: "" });

    expect(calls).toHaveLength(0);
    expect((await readEvent(id))?.last_error).toContain("OMISELL_ACCOUNT_KEY is not set");
  });
});

describe("the dead-letter queue", () => {
  it("marks an event whose retries are spent failed and keeps the error of its last attempt", async () => {
    const id = await insertReceivedEvent({ attempts: 7 });
    stubOmisell(() => new Response("", { status: 503 }));
    await deliver([{ eventId: id, attempts: 9 }]);
    expect(await readEvent(id)).toMatchObject({ status: "received", attempts: 8 });

    const result = await deliver([{ eventId: id }], "omisell-followups-dlq");

    expect(result.acked).toEqual(["msg-0"]);
    const event = await readEvent(id);
    expect(event?.status).toBe("failed");
    expect(event?.last_error).toContain("HTTP 503");
  });

  it("marks an event whose retries are spent but that never got an error failed with a reason", async () => {
    const id = await insertReceivedEvent({ attempts: 8 });

    await deliver([{ eventId: id }], "omisell-followups-dlq");

    const event = await readEvent(id);
    expect(event?.status).toBe("failed");
    expect(event?.last_error).toContain("gave up");
  });

  it("sends a message that got there by waits, not tries, back as a fresh one and leaves its event received", async () => {
    const id = await insertReceivedEvent({ attempts: 3 });
    const { sent, queue } = recordingFollowupQueue();

    const result = await deliver([{ eventId: id, attempts: 9 }], "omisell-followups-dlq", {}, { queue });

    expect(result.acked).toEqual(["msg-0"]);
    expect(result.retried).toEqual([]);
    expect(await readEvent(id)).toMatchObject({ status: "received", attempts: 3, last_error: null });
    // After the longest backoff (FOLLOWUP_BACKOFF_MAX_SECONDS), for a new round of the queue's retries.
    expect(sent).toEqual([{ body: { eventId: id, reason: "push", deadLetterRounds: 1 }, delaySeconds: 3600 }]);
  });

  it("fails a follow-up that came back from the dead-letter queue MAX_DEAD_LETTER_ROUNDS times without a try", async () => {
    const id = await insertReceivedEvent({ attempts: 0 });
    const { sent, queue } = recordingFollowupQueue();

    const result = await deliver(
      [{ eventId: id, attempts: 9, deadLetterRounds: MAX_DEAD_LETTER_ROUNDS }],
      "omisell-followups-dlq",
      {},
      { queue },
    );

    expect(result.acked).toEqual(["msg-0"]);
    expect(sent).toEqual([]);
    const event = await readEvent(id);
    expect(event?.status).toBe("failed");
    expect(event?.last_error).toContain(`${MAX_DEAD_LETTER_ROUNDS} rounds`);
  });

  it("counts a replay's tries from the attempts it was reopened with", async () => {
    const id = await insertReceivedEvent({ attempts: 9 });
    const { sent, queue } = recordingFollowupQueue();

    await deliver([{ eventId: id, reason: "replay", attemptsBefore: 9 }], "omisell-followups-dlq", {}, { queue });

    expect((await readEvent(id))?.status).toBe("received");
    expect(sent.map((message) => message.body)).toEqual([
      { eventId: id, reason: "replay", attemptsBefore: 9, deadLetterRounds: 1 },
    ]);
  });

  it("marks the event due for the sweeper when the fresh message cannot be sent", async () => {
    const id = await insertReceivedEvent();
    const { queue } = recordingFollowupQueue({ failing: true });

    const result = await deliver([{ eventId: id }], "omisell-followups-dlq", {}, { queue });

    expect(result.acked).toEqual(["msg-0"]);
    const event = await readEvent(id);
    expect(event?.status).toBe("received");
    expect(event?.next_attempt_at).toBe(event?.received_at);
  });

  it("leaves an event that was processed meanwhile as it is", async () => {
    const orderNumber = newOrderNumber();
    const id = await insertReceivedEvent({ order_number: orderNumber });
    stubOmisell(() => orderAnswer(orderNumber));
    await deliver([{ eventId: id }]);

    await deliver([{ eventId: id }], "omisell-followups-dlq");

    expect((await readEvent(id))?.status).toBe("processed");
  });
});

describe("the retry limit", () => {
  it("fails the event on its last try: FOLLOWUP_MAX_RETRIES attempts already made", async () => {
    const id = await insertReceivedEvent({ attempts: 8 });
    stubOmisell(() => new Response("", { status: 500 }));

    const result = await deliver([{ eventId: id }]);

    expect(result.retried).toEqual([]);
    expect(result.acked).toEqual(["msg-0"]);
    expect(await readEvent(id)).toMatchObject({ status: "failed", attempts: 9 });
  });

  it("counts the event's attempts, not the queue's deliveries of the message", async () => {
    const id = await insertReceivedEvent({ attempts: 1 });
    stubOmisell(() => new Response("", { status: 500 }));

    const result = await deliver([{ eventId: id, attempts: 10 }]);

    expect(result.retried.map((retry) => retry.id)).toEqual(["msg-0"]);
    expect(await readEvent(id)).toMatchObject({ status: "received", attempts: 2 });
  });

  it("counts per event: a new push about an order does not inherit an old event's backoff or exhaustion", async () => {
    const orderNumber = newOrderNumber();
    const old = await insertReceivedEvent({ order_number: orderNumber, attempts: 8 });
    const fresh = await insertReceivedEvent({ order_number: orderNumber });
    stubOmisell(() => new Response("", { status: 503 }));

    const result = await deliver([{ eventId: old }, { eventId: fresh }]);

    expect((await readEvent(old))?.status).toBe("failed");
    expect((await readEvent(fresh))?.status).toBe("received");
    expect(result.retried.map((retry) => retry.id)).toEqual(["msg-1"]); // the fresh push's message
    // The first backoff is base seconds with jitter, far below what try 9 would get.
    expect(result.retried[0]?.delaySeconds).toBeLessThanOrEqual(10);
  });

  it("gives a replay a budget of its own, counted from the attempts made before it", async () => {
    const id = await insertReceivedEvent({ attempts: 9 });
    stubOmisell(() => new Response("", { status: 500 }));

    const result = await deliver([{ eventId: id, reason: "replay", attemptsBefore: 9 }]);

    expect(result.retried.map((retry) => retry.id)).toEqual(["msg-0"]);
    expect(await readEvent(id)).toMatchObject({ status: "received", attempts: 10 });
  });
});

describe("an unexpected throw", () => {
  it("ends every message of the batch retried with backoff, the events untouched", async () => {
    const ids = [await insertReceivedEvent(), await insertReceivedEvent()];
    const fetchOrder = async (): Promise<never> => {
      throw new Error("unexpected");
    };

    const result = await deliver(
      ids.map((eventId) => ({ eventId })),
      "omisell-followups",
      {},
      { fetchOrder },
    );

    expect(result.acked).toEqual([]);
    // Undecided: the dispatcher's retry, 5 to 10 s after a first delivery (queue/dispatch.ts).
    expect(result.retried.map((retry) => retry.id).sort()).toEqual(["msg-0", "msg-1"]);
    for (const retry of result.retried) {
      expect(retry.delaySeconds).toBeGreaterThanOrEqual(5);
      expect(retry.delaySeconds).toBeLessThanOrEqual(10);
    }
    for (const id of ids) expect(await readEvent(id)).toMatchObject({ status: "received", attempts: 0 });
  });

  it("keeps what was decided before it: another order's follow-up still settles", async () => {
    const fetched = newOrderNumber();
    const settledId = await insertReceivedEvent({ order_number: fetched });
    const thrownId = await insertReceivedEvent();
    const fetchOrder = async (order: { orderNumber: string }) => {
      if (order.orderNumber !== fetched) throw new Error("unexpected");
      return { ok: true as const, value: { omisell_order_number: fetched, status_name: "Shipped" } };
    };

    const result = await deliver(
      [{ eventId: settledId }, { eventId: thrownId }],
      "omisell-followups",
      {},
      { fetchOrder },
    );

    expect(result.acked).toEqual(["msg-0"]);
    expect(result.retried.map((retry) => retry.id)).toEqual(["msg-1"]);
    expect((await readEvent(settledId))?.status).toBe("processed");
    expect(await readEvent(thrownId)).toMatchObject({ status: "received", attempts: 0 });
  });

  it("in a broken follow-up setting ends every message retried, not lost", async () => {
    const id = await insertReceivedEvent();

    const result = await deliver([{ eventId: id }], "omisell-followups", { FOLLOWUP_PARALLELISM: "many" });

    expect(result.acked).toEqual([]);
    expect(result.retried.map((retry) => retry.id)).toEqual(["msg-0"]);
    expect((await readEvent(id))?.status).toBe("received");
  });
});
