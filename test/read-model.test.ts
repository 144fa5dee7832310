/**
 * The read model shows exactly what its shapes declare: the public event summary is the row's
 * summary columns plus `catalogue`, a delivery never carries the internal `settlement` (nor a
 * column the schema does not name), a run only its declared fields, and the body time both admin
 * actions take refuses what is not a time.
 */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { EventSummaryShape, publicEventSummary } from "../src/events/summary";
import { EventRowShape, SUMMARY_COLUMNS } from "../src/events/vocabulary";
import { newUlid } from "../src/lib/ids";
import { Delivery, readEventDeliveries, readFailingDeliveries, toDelivery } from "../src/read-model/deliveries";
import { EventSummary } from "../src/read-model/event-shapes";
import { bodyTime, columnsOf } from "../src/read-model/fields";
import { ReconcileRunView, readReconciliationFigures, readRunPage } from "../src/read-model/reconcile";
import type { DeliveryWithEvent } from "../src/store/delivery-reads";
import { startRun } from "../src/store/reconcile";
import { insertDelivery, insertSettledEvent } from "./helpers/forward";
import { storeEvent } from "./helpers/read-api";

const DELIVERY_FIELDS = Object.keys(Delivery.shape).sort();

const EVENT_ROW = EventRowShape.parse({
  id: "01JDQ3Z5J8X0K4M2N6P8R0T2V4",
  dedupe_key: "req-1",
  request_id: "req-1",
  event: "order.unheard_of",
  category: "order",
  seller_id: null,
  resource_type: "order",
  resource_id: "OM1",
  order_number: "OM1",
  status: "processed",
  attempts: 1,
  last_error: null,
  signature_valid: true,
  signature_scheme: "hmac",
  source: "push",
  received_at: 1_732_780_800_000,
  processed_at: 1_732_780_801_000,
  settled_by: "detail",
  seq: 7,
  payload: "{}",
  headers: null,
});

async function deliveryOf(eventId: string, set = "attempts = 1"): Promise<string> {
  const now = Date.now();
  const id = await insertDelivery(eventId, now);
  await env.DB.prepare(`UPDATE deliveries SET ${set} WHERE id = ?1`).bind(id).run();
  return id;
}

describe("the public event summary", () => {
  it("is every summary column of the event row plus catalogue, in the shape and in what it shows", async () => {
    const row = await storeEvent({ headers: { "user-agent": "test" } });
    const summary = publicEventSummary(row);
    const expected = [...SUMMARY_COLUMNS, "catalogue"].sort();
    expect(Object.keys(summary).sort()).toEqual(expected);
    expect(Object.keys(EventSummaryShape.shape).sort()).toEqual(expected);
    expect(Object.keys(EventSummary.shape).sort()).toEqual(expected);
    expect(summary).not.toHaveProperty("payload");
    expect(summary).not.toHaveProperty("headers");
    expect(summary.catalogue).toBe("documented");
  });

  it("keeps the row shape's type for each column and adds only descriptions", () => {
    for (const column of SUMMARY_COLUMNS) {
      const { description: _description, ...shown } = z.toJSONSchema(EventSummary.shape[column]);
      expect(shown, column).toEqual(z.toJSONSchema(EventRowShape.shape[column]));
    }
    expect(EventSummary.shape.dedupe_key.meta()?.description).toContain("request_id");
    expect(EventSummary.parse(publicEventSummary(EVENT_ROW))).toEqual(publicEventSummary(EVENT_ROW));
    expect(publicEventSummary(EVENT_ROW).catalogue).toBe("unlisted");
  });
});

describe("a delivery as the read model shows it", () => {
  it("takes only the fields Delivery declares: never settlement, nor a column added to the table later", () => {
    const row = {
      id: "01JDQ3Z5J8X0K4M2N6P8R0T2V4",
      destination_id: "default",
      destination: "default (FORWARD_URL)",
      event_id: "01JDQ3Z5J8X0K4M2N6P8R0T2V5",
      settlement: "processed:7",
      status: "pending",
      attempts: 0,
      last_status_code: null,
      last_error: null,
      next_attempt_at: 1,
      last_attempt_at: null,
      retry_until: 2,
      delivered_at: null,
      created_at: 1,
      event_name: "order.shipped",
      order_number: "OM-1",
      internal_note: "a column a later migration adds",
    } satisfies DeliveryWithEvent & { internal_note: string };
    const shown = toDelivery(row);
    expect(Object.keys(shown).sort()).toEqual(DELIVERY_FIELDS);
    expect(DELIVERY_FIELDS).not.toContain("settlement");
    expect(shown).toEqual(Delivery.parse(row));
  });

  it("reaches the event page without settlement", async () => {
    const eventId = await insertSettledEvent();
    await deliveryOf(eventId);
    const deliveries = await readEventDeliveries(env.DB, eventId);
    expect(deliveries).toHaveLength(1);
    for (const delivery of deliveries) expect(Object.keys(delivery).sort()).toEqual(DELIVERY_FIELDS);
  });

  it("reaches the failing deliveries page without settlement, failed and retrying apart, each with its event, order and destination", async () => {
    const failed = await deliveryOf(
      await insertSettledEvent(),
      "status = 'failed', attempts = 3, next_attempt_at = NULL",
    );
    const retrying = await deliveryOf(await insertSettledEvent(), "attempts = 2");
    const page = await readFailingDeliveries(env);
    expect(page.failed.map((d) => d.id)).toContain(failed);
    expect(page.retrying.map((d) => d.id)).toContain(retrying);
    expect(page.forwarding).toBe("off");
    for (const delivery of [...page.failed, ...page.retrying]) {
      expect(Object.keys(delivery).sort()).toEqual([...DELIVERY_FIELDS, "event", "order_number"].sort());
      expect(delivery).toMatchObject({ destination_id: "default", event: "order.shipped" });
    }
  });
});

describe("a view of a store row", () => {
  it("must declare every column of the row but the internal ones, each with the column's type", () => {
    type Row = Pick<DeliveryWithEvent, "id" | "attempts" | "settlement">;
    // @ts-expect-error `attempts` is missing: a column added to the row fails to compile until declared.
    columnsOf<Row, "settlement">()({ id: z.string() });
    // @ts-expect-error `settlement` is internal: it may not be shown.
    columnsOf<Row, "settlement">()({ id: z.string(), attempts: z.int(), settlement: z.string() });
    // @ts-expect-error `attempts` is a number, not text.
    columnsOf<Row, "settlement">()({ id: z.string(), attempts: z.string() });
    const shape = columnsOf<Row, "settlement">()({ id: z.string(), attempts: z.int() });
    expect(Object.keys(shape)).toEqual(["id", "attempts"]);
  });
});

describe("a reconciliation run as the read model shows it", () => {
  it("has exactly the fields ReconcileRunView declares, in the list and on the overview", async () => {
    const now = Date.now();
    const id = newUlid(now);
    await startRun(env.DB, { id, trigger: "manual", window_from: now - 60_000, window_to: now, started_at: now });
    const fields = Object.keys(ReconcileRunView.shape).sort();
    const page = await readRunPage(env, { limit: 200 });
    const listed = page.runs.find((run) => run.id === id);
    expect(listed && Object.keys(listed).sort()).toEqual(fields);
    const figures = await readReconciliationFigures(env.DB, now);
    expect(figures.lastRun && Object.keys(figures.lastRun).sort()).toEqual(fields);
  });
});

describe("a time in a JSON body", () => {
  it("takes ms as a number or digits, and ISO 8601", () => {
    const time = bodyTime();
    expect(time.parse(1_732_780_800_000)).toBe(1_732_780_800_000);
    expect(time.parse("1732780800000")).toBe(1_732_780_800_000);
    expect(time.parse("2024-11-28T08:00:00Z")).toBe(Date.UTC(2024, 10, 28, 8));
  });

  it.each([1.5, -5, 1e21, "yesterday", ""])("refuses %s as no time", (value) => {
    const result = bodyTime().safeParse(value);
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.message).toBe("expected milliseconds since the epoch or an ISO 8601 date-time");
  });
});
