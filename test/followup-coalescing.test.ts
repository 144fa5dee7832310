/**
 * Fetch coalescing in the real consumer: one fetch settles every event received before it started
 * (within a batch and across batches), an order is fetched once quiet, and a busy order at most
 * once per quiet window. Waits for quiet use no attempt.
 */
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import { replayEvent } from "../src/followup/replay";
import { getSnapshot } from "../src/store/resources";
import {
  deliver,
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

const QUIET = { FOLLOWUP_QUIET_MS: "5000" };

describe("fetch coalescing", () => {
  it("fetches a quiet order once for all its events in a batch", async () => {
    const orderNumber = newOrderNumber();
    const at = Date.now() - 20_000;
    const ids = [
      await insertReceivedEvent({ order_number: orderNumber, event: "order.created", receivedAt: at }),
      await insertReceivedEvent({
        order_number: orderNumber,
        event: "shipment.created",
        category: "shipment",
        receivedAt: at + 500,
      }),
      await insertReceivedEvent({ order_number: orderNumber, event: "order.shipped", receivedAt: at + 1_000 }),
    ];
    const calls = stubOmisell(() => orderAnswer(orderNumber));

    await deliver(
      ids.map((eventId) => ({ eventId })),
      "omisell-followups",
      QUIET,
    );

    expect(calls).toHaveLength(1);
    for (const id of ids) expect((await readEvent(id))?.status).toBe("processed");
  });

  it("settles without a fetch, in a later batch, an event a fetch that started after it covers", async () => {
    const orderNumber = newOrderNumber();
    const first = await insertReceivedEvent({ order_number: orderNumber });
    const second = await insertReceivedEvent({ order_number: orderNumber });
    const calls = stubOmisell(() => orderAnswer(orderNumber));
    await deliver([{ eventId: first }]);

    const result = await deliver([{ eventId: second }]);

    expect(calls).toHaveLength(1);
    expect(result.acked).toEqual(["msg-0"]);
    // Settled by the snapshot, not by a call of its own: no attempt counted.
    expect(await readEvent(second)).toMatchObject({ status: "processed", attempts: 0 });
  });

  it("fetches again for an event received after the stored snapshot's fetch started", async () => {
    const orderNumber = newOrderNumber();
    const first = await insertReceivedEvent({ order_number: orderNumber });
    const calls = stubOmisell(() => orderAnswer(orderNumber));
    await deliver([{ eventId: first }]);
    const fetchedAt = (await getSnapshot(env.DB, "order", orderNumber))?.fetched_at ?? 0;
    const later = await insertReceivedEvent({ order_number: orderNumber, receivedAt: fetchedAt + 1 });

    await deliver([{ eventId: later }]);

    expect(calls).toHaveLength(2);
    expect(await readEvent(later)).toMatchObject({ status: "processed", attempts: 1 });
  });
});

describe("a replay", () => {
  it("fetches the order anew for an event its stored snapshot already covered", async () => {
    const orderNumber = newOrderNumber();
    const id = await insertReceivedEvent({ order_number: orderNumber });
    const calls = stubOmisell(() => orderAnswer(orderNumber));
    await deliver([{ eventId: id }]);
    vi.spyOn(env.FOLLOWUPS, "send").mockResolvedValue(undefined as never);
    await new Promise((resolve) => setTimeout(resolve, 2));
    await replayEvent(env, id);

    await deliver([{ eventId: id, reason: "replay", generation: 1 }]);

    expect(calls).toHaveLength(2);
    expect(await readEvent(id)).toMatchObject({ status: "processed", attempts: 2 });
  });
});

describe("the quiet window", () => {
  it("sends an event of an order that just got another event back for the rest of the window, using no attempt", async () => {
    const orderNumber = newOrderNumber();
    const now = Date.now();
    const id = await insertReceivedEvent({ order_number: orderNumber, receivedAt: now - 2_000 });
    await insertReceivedEvent({ order_number: orderNumber, receivedAt: now - 1_000 });
    const calls = stubOmisell(() => orderAnswer(orderNumber));
    const { sent, queue } = recordingFollowupQueue();

    const result = await deliver([{ eventId: id }], "omisell-followups", QUIET, { queue });

    expect(calls).toHaveLength(0);
    expect(result.acked).toEqual(["msg-0"]);
    expect(sent.map((message) => message.body)).toEqual([{ eventId: id, reason: "push" }]);
    expect(sent[0]?.delaySeconds).toBeGreaterThanOrEqual(3);
    expect(sent[0]?.delaySeconds).toBeLessThanOrEqual(5);
    expect(await readEvent(id)).toMatchObject({ status: "received", attempts: 0, next_attempt_at: null });
  });

  it("acknowledges a wait whose fresh message cannot be sent, and marks its event due for the sweeper", async () => {
    const id = await insertReceivedEvent();
    const calls = stubOmisell(() => orderAnswer("unexpected"));
    const { queue } = recordingFollowupQueue({ failing: true });

    const result = await deliver([{ eventId: id }], "omisell-followups", QUIET, { queue });

    expect(calls).toHaveLength(0);
    // Never the queue's retry: a wait must not count toward max_retries.
    expect(result.retried).toEqual([]);
    expect(result.acked).toEqual(["msg-0"]);
    const event = await readEvent(id);
    expect(event?.status).toBe("received");
    // Due from its arrival: the sweeper sends it after SWEEP_AFTER_SECONDS.
    expect(event?.next_attempt_at).toBe(event?.received_at);
  });

  it("fetches a busy order at most once per window", async () => {
    const orderNumber = newOrderNumber();
    const now = Date.now();
    // Waiting two windows already, while the order keeps getting events: fetched now.
    const old = await insertReceivedEvent({ order_number: orderNumber, receivedAt: now - 11_000 });
    await insertReceivedEvent({ order_number: orderNumber, receivedAt: now - 500 });
    const calls = stubOmisell(() => orderAnswer(orderNumber));
    await deliver([{ eventId: old }], "omisell-followups", QUIET);
    expect(calls).toHaveLength(1);
    const fetchedAt = (await getSnapshot(env.DB, "order", orderNumber))?.fetched_at ?? 0;

    // A new event, after that fetch started, of an order waiting two windows: not before the window ends.
    const next = await insertReceivedEvent({ order_number: orderNumber, receivedAt: fetchedAt + 1 });
    const { sent, queue } = recordingFollowupQueue();
    await deliver([{ eventId: next }], "omisell-followups", QUIET, { queue });

    expect(calls).toHaveLength(1);
    expect(sent.map((message) => message.body.eventId)).toEqual([next]);
  });
});

describe("concurrent batches", () => {
  const claimOf = (orderNumber: string) =>
    env.DB.prepare("SELECT * FROM order_fetch_claims WHERE order_number = ?1").bind(orderNumber).first();

  it("leave an order another batch is fetching to it, and come back shortly without an attempt", async () => {
    const orderNumber = newOrderNumber();
    const id = await insertReceivedEvent({ order_number: orderNumber });
    await env.DB.prepare("INSERT INTO order_fetch_claims (order_number, token, until) VALUES (?1, 'other', ?2)")
      .bind(orderNumber, Date.now() + 60_000)
      .run();
    const calls = stubOmisell(() => orderAnswer(orderNumber));
    const { sent, queue } = recordingFollowupQueue();

    const result = await deliver([{ eventId: id }], "omisell-followups", {}, { queue });

    expect(calls).toHaveLength(0);
    expect(result.acked).toEqual(["msg-0"]);
    expect(sent).toEqual([{ body: { eventId: id, reason: "push" }, delaySeconds: 2 }]);
    expect(await readEvent(id)).toMatchObject({ status: "received", attempts: 0 });
  });

  it("take over a claim whose lease has lapsed", async () => {
    const orderNumber = newOrderNumber();
    const id = await insertReceivedEvent({ order_number: orderNumber });
    await env.DB.prepare("INSERT INTO order_fetch_claims (order_number, token, until) VALUES (?1, 'dead', ?2)")
      .bind(orderNumber, Date.now() - 1)
      .run();
    const calls = stubOmisell(() => orderAnswer(orderNumber));

    await deliver([{ eventId: id }]);

    expect(calls).toHaveLength(1);
    expect((await readEvent(id))?.status).toBe("processed");
  });

  it("release their claims when the batch is done, after a failure too", async () => {
    const fetched = newOrderNumber();
    const refused = newOrderNumber();
    stubOmisell((call) =>
      call.url.endsWith(encodeURIComponent(refused)) ? new Response("gone", { status: 404 }) : orderAnswer(fetched),
    );

    await deliver([
      { eventId: await insertReceivedEvent({ order_number: fetched }) },
      { eventId: await insertReceivedEvent({ order_number: refused }) },
    ]);

    expect(await claimOf(fetched)).toBeNull();
    expect(await claimOf(refused)).toBeNull();
  });
});
