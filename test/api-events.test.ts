/**
 * GET /api/events and GET /api/events/{id}: filters, time bounds, keyset paging (also while
 * pushes keep arriving), validation errors naming the field, 404s.
 */
import { describe, expect, it } from "vitest";
import { encodeCursor } from "../src/read-model/event-query";
import { samplePush, sendPush } from "./helpers/push";
import { apiGet, expectInvalidField, json, storeEvent, uniqueSeller } from "./helpers/read-api";

type Page = { events: Record<string, unknown>[]; next_cursor: string | null };

async function page(query: string): Promise<Page> {
  const res = await apiGet(`/api/events?${query}`);
  expect(res.status).toBe(200);
  return json<Page>(res);
}

/**
 * Reads every page of `/api/events?<query>` with `limit`, following next_cursor; `alongside` runs
 * with each page read (started after it). Returns the ids in the order read, and the pages.
 */
async function readAllPages(query: string, limit: number, alongside?: () => Promise<unknown>) {
  const seen: string[] = [];
  let cursor: string | null = null;
  let pages = 0;
  do {
    const read = page(`${query}&limit=${limit}${cursor ? `&cursor=${cursor}` : ""}`);
    const [p]: [Page, unknown] = await Promise.all([read, alongside?.()]);
    seen.push(...p.events.map((e) => e.id as string));
    cursor = p.next_cursor;
    pages += 1;
  } while (cursor);
  return { seen, pages };
}

describe("list", () => {
  it("lists newest first, without payload", async () => {
    const seller = uniqueSeller();
    const t = Date.now() - 60_000;
    const older = await storeEvent({ seller_id: seller, at: t });
    const newer = await storeEvent({ seller_id: seller, at: t + 1000 });
    const { events, next_cursor } = await page(`seller_id=${seller}`);
    expect(events.map((e) => e.id)).toEqual([newer.id, older.id]);
    expect(events[0]).not.toHaveProperty("payload");
    expect(events[0]).toMatchObject({ seller_id: seller, signature_valid: true, status: "received" });
    expect(next_cursor).toBeNull();
  });

  it("shows a push sent through the real endpoint", async () => {
    const push = samplePush("order.created", { seller_id: uniqueSeller() });
    const res = await sendPush(push);
    const id = res.headers.get("Push-Event-Id");
    const { events } = await page(`seller_id=${push.seller_id}`);
    expect(events.map((e) => e.id)).toEqual([id]);
    expect(events[0]).toMatchObject({ event: "order.created", request_id: push.request_id });
  });

  it.each([
    ["event", { event: "shipment.delivered", category: "shipment" }, "shipment.delivered"],
    ["category", { event: "order_return.all", category: "return" }, "return"],
    ["status", { status: "failed" as const }, "failed"],
  ])("filters by %s", async (name, match, value) => {
    const seller = uniqueSeller();
    const hit = await storeEvent({ seller_id: seller, ...match });
    await storeEvent({ seller_id: seller });
    const { events } = await page(`seller_id=${seller}&${name}=${value}`);
    expect(events.map((e) => e.id)).toEqual([hit.id]);
  });

  it("filters by resource_id", async () => {
    const resource = `OM-RES-${crypto.randomUUID()}`;
    const hit = await storeEvent({ resource_id: resource, order_number: resource });
    await storeEvent();
    const { events } = await page(`resource_id=${resource}`);
    expect(events.map((e) => e.id)).toEqual([hit.id]);
  });

  it("filters by order_number, which also finds the order's shipment events", async () => {
    const order = `OM-ORD-${crypto.randomUUID()}`;
    const created = await storeEvent({ order_number: order, resource_id: order, event: "order.created" });
    const shipped = await storeEvent({
      order_number: order,
      resource_type: "shipment",
      resource_id: `SH-${crypto.randomUUID()}`,
      event: "shipment.delivered",
      category: "shipment",
    });
    await storeEvent();
    const { events } = await page(`order_number=${order}`);
    expect(events.map((e) => e.id)).toEqual([shipped.id, created.id]);
  });

  it("filters by seller_id", async () => {
    const seller = uniqueSeller();
    const hit = await storeEvent({ seller_id: seller });
    await storeEvent({ seller_id: uniqueSeller() });
    const { events } = await page(`seller_id=${seller}`);
    expect(events.map((e) => e.id)).toEqual([hit.id]);
  });

  it("bounds by since (inclusive) and until (exclusive), in ms or ISO 8601", async () => {
    const seller = uniqueSeller();
    const base = Date.UTC(2024, 10, 28, 8, 0, 0);
    const [a, b, c] = [
      await storeEvent({ seller_id: seller, at: base - 1 }),
      await storeEvent({ seller_id: seller, at: base }),
      await storeEvent({ seller_id: seller, at: base + 3_600_000 }),
    ];
    expect((await page(`seller_id=${seller}&since=${base}`)).events.map((e) => e.id)).toEqual([c.id, b.id]);
    expect((await page(`seller_id=${seller}&until=2024-11-28T09:00:00Z`)).events.map((e) => e.id)).toEqual([
      b.id,
      a.id,
    ]);
    expect(
      (await page(`seller_id=${seller}&since=2024-11-28T08:00:00Z&until=2024-11-28T09:00:00Z`)).events.map((e) => e.id),
    ).toEqual([b.id]);
  });
});

describe("paging", () => {
  it("walks every event once, with a null cursor on the last page", async () => {
    const seller = uniqueSeller();
    const t = Date.now() - 120_000;
    const stored = [];
    for (let i = 0; i < 7; i++) stored.push(await storeEvent({ seller_id: seller, at: t + i * 10 }));
    const { seen, pages } = await readAllPages(`seller_id=${seller}`, 3);
    expect(pages).toBe(3);
    expect(seen).toEqual(stored.map((e) => e.id).reverse());
  });

  it("has no overlap and no gap while new pushes keep arriving between pages", async () => {
    const seller = uniqueSeller();
    const t = Date.now() - 60_000;
    const before = [];
    for (let i = 0; i < 9; i++) before.push(await storeEvent({ seller_id: seller, at: t + i * 5 }));
    // Inserts racing each page read, newer than everything listed so far.
    const { seen } = await readAllPages(`seller_id=${seller}`, 2, () =>
      Promise.all([storeEvent({ seller_id: seller }), sendPush(samplePush("order.created", { seller_id: seller }))]),
    );
    expect(new Set(seen).size).toBe(seen.length);
    const beforeIds = before.map((e) => e.id);
    expect(seen.filter((id) => beforeIds.includes(id))).toEqual([...beforeIds].reverse());
  });
});

describe("invalid parameters", () => {
  it.each([
    ["limit=0", "limit"],
    ["limit=201", "limit"],
    ["limit=ten", "limit"],
    ["status=done", "status"],
    ["category=orders", "category"],
    ["since=yesterday", "since"],
    ["until=2024-13-45", "until"],
    ["since=2024-11-29&until=2024-11-28", "until"],
    ["cursor=%%%", "cursor"],
    [`cursor=${encodeCursor("not-an-event-id")}`, "cursor"],
    ["seller=1001", "seller"],
    ["event=", "event"],
  ])("?%s is 400 invalid_request naming %s", async (query, field) => {
    await expectInvalidField(await apiGet(`/api/events?${query}`), field);
  });

  it("names every bad field at once", async () => {
    const res = await apiGet("/api/events?limit=0&status=nope");
    const body = await json<{ fields: Record<string, string> }>(res);
    expect(Object.keys(body.fields).sort()).toEqual(["limit", "status"]);
  });
});

describe("one event", () => {
  it("answers the event with its payload parsed", async () => {
    const row = await storeEvent({ attempts: 2, last_error: "HTTP 503 from Omisell" });
    const res = await apiGet(`/api/events/${row.id}`);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({
      id: row.id,
      attempts: 2,
      last_error: "HTTP 503 from Omisell",
      payload: JSON.parse(row.payload),
    });
  });

  it("answers the raw text as payload when the body was not JSON", async () => {
    const row = await storeEvent({ status: "invalid", category: "invalid", event: null, payload: "<xml>nope</xml>" });
    const body = await json(await apiGet(`/api/events/${row.id}`));
    expect(body.payload).toBe("<xml>nope</xml>");
  });

  it("is 404 not_found for an id that is not stored", async () => {
    const res = await apiGet("/api/events/01JDQ3Z5J8X0K4M2N6P8R0T2V4");
    expect(res.status).toBe(404);
    expect(await json(res)).toMatchObject({ error: "not_found" });
  });

  it("is 400 naming id for something that is not an event id", async () => {
    const res = await apiGet("/api/events/not-an-id");
    expect(res.status).toBe(400);
    expect(await json(res)).toMatchObject({ error: "invalid_request", fields: { id: expect.any(String) } });
  });
});
