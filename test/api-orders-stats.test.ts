import { describe, expect, it } from "vitest";
import { apiGet, json, storeEvent, storeOrderSnapshot } from "./helpers/read-api";

describe("order", () => {
  it("answers the latest snapshot and the timeline oldest first, across categories", async () => {
    const order = `OM-ORDER-${crypto.randomUUID().slice(0, 8)}`;
    const t = Date.now() - 10_000;
    const created = await storeEvent({ order_number: order, resource_id: order, event: "order.created", at: t });
    const shipment = await storeEvent({
      order_number: order,
      resource_id: "SH-1",
      resource_type: "shipment",
      event: "shipment.shipped",
      category: "shipment",
      at: t + 1000,
    });
    await storeOrderSnapshot(order, { statusName: "Shipped", fetchedAt: t + 2000, lastEventId: shipment.id });
    const res = await apiGet(`/api/orders/${order}`);
    expect(res.status).toBe(200);
    const body = await json(res);
    expect(body).toMatchObject({
      omisell_order_number: order,
      order: { omisell_order_number: order, status_name: "Shipped" },
      status_name: "Shipped",
      fetched_at: t + 2000,
      last_event_id: shipment.id,
    });
    expect((body.events as { id: string }[]).map((e) => e.id)).toEqual([created.id, shipment.id]);
  });

  it("answers order null while no snapshot was fetched yet", async () => {
    const order = `OM-NOSNAP-${crypto.randomUUID().slice(0, 8)}`;
    await storeEvent({ order_number: order, resource_id: order });
    const body = await json(await apiGet(`/api/orders/${order}`));
    expect(body).toMatchObject({ order: null, fetched_at: null, status_name: null });
    expect(body.events).toHaveLength(1);
  });

  it("is 404 for an order nothing is known about", async () => {
    const res = await apiGet("/api/orders/OM-NEVER-SEEN");
    expect(res.status).toBe(404);
    expect(await json(res)).toMatchObject({ error: "not_found" });
  });
});

describe("stats", () => {
  type Stats = {
    by_status: Record<string, number>;
    by_event: Record<string, number>;
    backlog: { received: number; oldest_received_at: number | null };
    failures: { total: number; last_24h: number; recent: { id: string }[] };
    last_received: { id: string } | null;
    hourly: { hour_start: number; total: number; by_category: Record<string, number> }[];
  };
  const stats = async () => json<Stats>(await apiGet("/api/stats"));

  it("counts a new failed event in by_status, failures and the current hour", async () => {
    const before = await stats();
    const failed = await storeEvent({ status: "failed", category: "shipment", event: "shipment.delivered" });
    const after = await stats();
    expect(after.by_status.failed).toBe((before.by_status.failed ?? 0) + 1);
    expect(after.failures.total).toBe(before.failures.total + 1);
    expect(after.failures.last_24h).toBe(before.failures.last_24h + 1);
    expect(after.failures.recent[0]?.id).toBe(failed.id);
    expect(after.by_event["shipment.delivered"]).toBe((before.by_event["shipment.delivered"] ?? 0) + 1);
    const current = after.hourly.at(-1);
    expect((current?.by_category.shipment ?? 0) - (before.hourly.at(-1)?.by_category.shipment ?? 0)).toBe(1);
    expect(after.last_received?.id).toBe(failed.id);
  });

  it("has 24 consecutive hourly buckets ending with the current hour", async () => {
    const { hourly } = await stats();
    expect(hourly).toHaveLength(24);
    const now = Date.now();
    expect(hourly.at(-1)?.hour_start).toBe(Math.floor(now / 3_600_000) * 3_600_000);
    for (let i = 1; i < 24; i++) expect(hourly[i]?.hour_start).toBe((hourly[i - 1]?.hour_start ?? 0) + 3_600_000);
  });

  it("leaves out events older than 24 hours from the hourly counts", async () => {
    const before = await stats();
    await storeEvent({ at: Date.now() - 25 * 3_600_000, category: "sale_invoice", event: "order.si.generate" });
    const after = await stats();
    const sum = (s: Stats) => s.hourly.reduce((n, h) => n + h.total, 0);
    expect(sum(after)).toBe(sum(before));
  });

  it("reports the backlog: events still received and the oldest one's arrival", async () => {
    const before = await stats();
    await storeEvent({ status: "received" });
    const after = await stats();
    expect(after.backlog.received).toBe(before.backlog.received + 1);
    expect(after.backlog.oldest_received_at).toEqual(expect.any(Number));
  });
});
