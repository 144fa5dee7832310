/**
 * Settling status changes from the order list (FOLLOWUP_DETAIL=adaptive) in the real consumer: an
 * order listed with a change at or after the event's arrival (less a minute of skew) settles it
 * (`settled_by = "list"`, the row kept as the order's summary); a row older than that never does;
 * an order not listed keeps waiting and falls back to its detail; new orders get their detail.
 */
import { env } from "cloudflare:workers";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { LIST_PATIENCE } from "../src/followup/choice";
import type { OrderToFetch } from "../src/followup/deps";
import { fail, ok } from "../src/lib/result";
import type { BucketView } from "../src/omisell/bucket";
import type { ListQuery } from "../src/omisell/order-list-walk";
import { getSnapshot } from "../src/store/resources";
import { deliver, insertReceivedEvent, newOrderNumber, readEvent, recordingFollowupQueue } from "./helpers/followup";
import { storeOrderSnapshot } from "./helpers/read-api";
import { listedOrder } from "./helpers/reconcile";

const TARGET_MS = 120_000;
/** Omisell's own budget and target: 240 calls within the target from an empty bucket. */
const VARS = { OMISELL_RATE_LIMIT: "100/60", FOLLOWUP_FRESHNESS_SECONDS: "120" };
const EMPTY: BucketView = { level: 0, capacity: 100, ceiling: 80, pausedUntil: 0 };

beforeEach(async () => {
  await env.DB.prepare("DELETE FROM followup_list_walks").run();
});
afterEach(() => {
  vi.restoreAllMocks();
});

/** A known order: its detail fetched a minute ago; and a status change of it received `ago` ms back. */
async function knownOrderChange(ago = 2_000, event = "order.shipped") {
  const orderNumber = newOrderNumber();
  await storeOrderSnapshot(orderNumber, { statusName: "Ready To Ship", fetchedAt: Date.now() - 60_000 });
  const id = await insertReceivedEvent({ order_number: orderNumber, receivedAt: Date.now() - ago, event });
  return { orderNumber, id };
}

/**
 * The consumer's steps for a sale day: `waiting` orders in the queue (well past what the budget
 * fetches within the target unless said otherwise), an empty bucket, the list answering `rows`,
 * detail fetches and nudges of the destinations' walk recorded.
 */
function saleDay(rows: ReturnType<typeof listedOrder>[], waiting = 10_000) {
  const listQueries: ListQuery[] = [];
  const fetched: string[] = [];
  const nudged = { times: 0 };
  const { sent, queue } = recordingFollowupQueue();
  const steps = {
    queue,
    waitingOrders: async () => ({ orders: waiting, known: waiting, arriving: 0 }),
    bucket: async () => EMPTY,
    listOrders: () => async (_path: string, query: ListQuery) => {
      listQueries.push(query);
      const from = Number(query.updated_from);
      const to = Number(query.updated_to);
      const results = rows.filter((row) => Number(row.updated_time) >= from && Number(row.updated_time) <= to);
      return ok({ count: results.length, next: null, previous: null, results });
    },
    fetchOrder: async (order: OrderToFetch) => {
      fetched.push(order.orderNumber);
      return ok({ omisell_order_number: order.orderNumber, status_name: "Shipped" });
    },
    nudgeForwarding: async () => {
      nudged.times += 1;
    },
  };
  return { steps, listQueries, fetched, nudged, sent };
}

describe("settling from the order list", () => {
  it("settles an event whose order is listed changed after it arrived: processed by list, the row kept as summary", async () => {
    const { orderNumber, id } = await knownOrderChange();
    const row = { ...listedOrder(orderNumber, Date.now()), status_name: "Shipped" };
    const day = saleDay([row]);

    const result = await deliver([{ eventId: id }], "omisell-followups", VARS, day.steps);

    expect(result).toEqual({ acked: ["msg-0"], retried: [] });
    expect(await readEvent(id)).toMatchObject({ status: "processed", settled_by: "list", attempts: 0 });
    expect(day.fetched).toEqual([]);
    expect(day.listQueries).toHaveLength(1);
    // The destinations' walk is nudged once for the batch; it finds the settled event on the feed.
    expect(day.nudged.times).toBe(1);
    const snapshot = await env.DB.prepare("SELECT summary, summary_at, fetched_at FROM resources WHERE id = ?1")
      .bind(orderNumber)
      .first<{ summary: string; summary_at: number; fetched_at: number }>();
    expect(JSON.parse(snapshot?.summary ?? "null")).toEqual(row);
    expect(snapshot?.summary_at).toBeGreaterThan(snapshot?.fetched_at ?? Number.POSITIVE_INFINITY);
  });

  it("lists from the oldest waiting change less a minute of skew, to now, a page of 100", async () => {
    const { orderNumber, id } = await knownOrderChange(5_000);
    const day = saleDay([listedOrder(orderNumber, Date.now())]);
    const received = (await readEvent(id))?.received_at ?? 0;

    await deliver([{ eventId: id }], "omisell-followups", VARS, day.steps);

    expect(day.listQueries[0]).toMatchObject({
      updated_from: String(Math.floor((received - 60_000) / 1000)),
      page_size: "100",
      page: "1",
    });
    expect(Number(day.listQueries[0]?.updated_to)).toBeGreaterThanOrEqual(Math.floor(Date.now() / 1000) - 1);
  });

  it("accepts a listed change up to a minute older than the arrival (clock skew), not older", async () => {
    const within = await knownOrderChange();
    const before = await knownOrderChange();
    const arrival = async (id: string) => (await readEvent(id))?.received_at ?? 0;
    const rows = [
      listedOrder(within.orderNumber, (await arrival(within.id)) - 59_000),
      listedOrder(before.orderNumber, (await arrival(before.id)) - 62_000),
    ];
    const day = saleDay(rows);

    const result = await deliver(
      [{ eventId: within.id }, { eventId: before.id }],
      "omisell-followups",
      VARS,
      day.steps,
    );

    expect(await readEvent(within.id)).toMatchObject({ status: "processed", settled_by: "list" });
    // Listed before it arrived: the listing does not show this change; it keeps waiting.
    expect(await readEvent(before.id)).toMatchObject({ status: "received", settled_by: null, attempts: 0 });
    expect(day.sent.map((message) => message.body.eventId)).toEqual([before.id]);
    expect(result.acked.sort()).toEqual(["msg-0", "msg-1"]);
    const unsettled = await getSnapshot(env.DB, "order", before.orderNumber);
    expect(unsettled).toMatchObject({ summary: null, summary_at: null });
    expect(day.fetched).toEqual([]);
  });

  it("an order never listed keeps waiting, then past three quarters of the target is fetched by its detail", async () => {
    const { orderNumber, id } = await knownOrderChange();
    const first = saleDay([]);
    await deliver([{ eventId: id }], "omisell-followups", VARS, first.steps);
    expect(await readEvent(id)).toMatchObject({ status: "received" });
    expect(first.sent.map((message) => message.body.eventId)).toEqual([id]);

    // Back later than three quarters of the target: the list had its chance.
    const later = saleDay([]);
    const laterNow = Date.now() + TARGET_MS * LIST_PATIENCE;
    await deliver([{ eventId: id }], "omisell-followups", VARS, { ...later.steps, now: () => laterNow });

    expect(later.listQueries).toEqual([]);
    expect(later.fetched).toEqual([orderNumber]);
    expect(await readEvent(id)).toMatchObject({ status: "processed", settled_by: "detail", attempts: 1 });
  });

  it("fetches new orders (no detail yet) and shipment changes by detail in the same batch", async () => {
    const listedChange = await knownOrderChange();
    const newOrder = await insertReceivedEvent({ event: "order.created" });
    const shipment = await knownOrderChange(2_000, "shipment.shipped");
    await env.DB.prepare("UPDATE events SET category = 'shipment' WHERE id = ?1").bind(shipment.id).run();
    const day = saleDay([
      listedOrder(listedChange.orderNumber, Date.now()),
      listedOrder(shipment.orderNumber, Date.now()),
    ]);

    await deliver(
      [{ eventId: listedChange.id }, { eventId: newOrder }, { eventId: shipment.id }],
      "omisell-followups",
      VARS,
      day.steps,
    );

    expect(await readEvent(listedChange.id)).toMatchObject({ status: "processed", settled_by: "list" });
    expect(await readEvent(newOrder)).toMatchObject({ status: "processed", settled_by: "detail" });
    expect(await readEvent(shipment.id)).toMatchObject({ status: "processed", settled_by: "detail" });
    expect(day.fetched.sort()).toEqual([(await readEvent(newOrder))?.order_number, shipment.orderNumber].sort());
  });

  it("settles the waiting events of other batches too; their messages then find them settled", async () => {
    const { orderNumber, id } = await knownOrderChange();
    const other = await insertReceivedEvent({ order_number: orderNumber, receivedAt: Date.now() - 1_000 });
    const day = saleDay([listedOrder(orderNumber, Date.now())]);

    await deliver([{ eventId: id }], "omisell-followups", VARS, day.steps);
    expect(await readEvent(other)).toMatchObject({ status: "processed", settled_by: "list" });
    expect(day.nudged.times).toBe(1);

    const later = saleDay([]);
    expect(await deliver([{ eventId: other }], "omisell-followups", VARS, later.steps)).toEqual({
      acked: ["msg-0"],
      retried: [],
    });
    expect(later.listQueries).toEqual([]);
  });

  it("lists once at a time: a batch arriving during the walk interval waits for what the walk settles", async () => {
    const first = await knownOrderChange();
    const second = await knownOrderChange();
    const day = saleDay([listedOrder(first.orderNumber, Date.now())]);
    await deliver([{ eventId: first.id }], "omisell-followups", VARS, day.steps);

    const next = saleDay([listedOrder(second.orderNumber, Date.now())]);
    await deliver([{ eventId: second.id }], "omisell-followups", VARS, next.steps);

    expect(next.listQueries).toEqual([]);
    expect(next.sent).toHaveLength(1);
    // The next walk is due a sixth of the target after the first began.
    expect(next.sent[0]?.delaySeconds).toBeGreaterThanOrEqual(19);
    expect(next.sent[0]?.delaySeconds).toBeLessThanOrEqual(20);
    expect(await readEvent(second.id)).toMatchObject({ status: "received" });
  });

  it("lists once for the whole account in account mode, whatever the sellers of the events", async () => {
    const first = await knownOrderChange();
    const second = await knownOrderChange();
    await env.DB.prepare("UPDATE events SET seller_id = '2002' WHERE id = ?1").bind(second.id).run();
    const day = saleDay([listedOrder(first.orderNumber, Date.now()), listedOrder(second.orderNumber, Date.now())]);

    await deliver([{ eventId: first.id }, { eventId: second.id }], "omisell-followups", VARS, day.steps);

    expect(day.listQueries).toHaveLength(1);
    expect(await readEvent(second.id)).toMatchObject({ status: "processed", settled_by: "list" });
  });

  it("sends the events back when the list cannot be read, and counts no attempt", async () => {
    const { id } = await knownOrderChange();
    const day = saleDay([]);
    const steps = { ...day.steps, listOrders: () => async () => fail({ error: "HTTP 502 from Omisell" }) };

    const result = await deliver([{ eventId: id }], "omisell-followups", VARS, steps);

    expect(result.retried).toEqual([]);
    expect(day.sent.map((message) => message.body.eventId)).toEqual([id]);
    expect(await readEvent(id)).toMatchObject({ status: "received", attempts: 0, last_error: null });
  });
});

describe("the adaptive follow-up chooses the detail", () => {
  it("while every waiting order can be fetched within the target", async () => {
    const { orderNumber, id } = await knownOrderChange();
    const day = saleDay([listedOrder(orderNumber, Date.now())], 240);

    await deliver([{ eventId: id }], "omisell-followups", VARS, day.steps);

    expect(day.listQueries).toEqual([]);
    expect(day.fetched).toEqual([orderNumber]);
    expect(await readEvent(id)).toMatchObject({ status: "processed", settled_by: "detail" });
  });

  it("always, with FOLLOWUP_DETAIL=always (v2), however many orders wait", async () => {
    const { orderNumber, id } = await knownOrderChange();
    const day = saleDay([listedOrder(orderNumber, Date.now())]);

    await deliver([{ eventId: id }], "omisell-followups", { ...VARS, FOLLOWUP_DETAIL: "always" }, day.steps);

    expect(day.listQueries).toEqual([]);
    expect(day.fetched).toEqual([orderNumber]);
  });

  it("marks an event the stored snapshot already covered as settled by snapshot", async () => {
    const orderNumber = newOrderNumber();
    const id = await insertReceivedEvent({ order_number: orderNumber, receivedAt: Date.now() - 10_000 });
    await storeOrderSnapshot(orderNumber, { statusName: "Shipped", fetchedAt: Date.now() - 5_000 });

    await deliver([{ eventId: id }], "omisell-followups", VARS, saleDay([]).steps);

    expect(await readEvent(id)).toMatchObject({ status: "processed", settled_by: "snapshot", attempts: 0 });
  });
});
