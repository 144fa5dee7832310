/**
 * The deliveries lists, the sweeper, the health check and the destinations' walk are answered from
 * an index: the test asks SQLite for each statement's plan and fails on a scan of `deliveries`
 * that uses no index.
 */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { DELIVERY_SQL } from "../src/store/delivery-lists";
import { DELIVERY_READ_SQL, type DeliveryListQuery, deliveryListStatement } from "../src/store/delivery-reads";
import { WALK_SQL } from "../src/store/destination-walk";
import { RETENTION_SQL } from "../src/store/retention";

async function planOf(sql: string, params: (string | number)[]): Promise<string> {
  const { results } = await env.DB.prepare(`EXPLAIN QUERY PLAN ${sql}`)
    .bind(...params)
    .all<{ detail: string }>();
  return results.map((row) => row.detail).join(" | ");
}

/** A full scan of the table: `SCAN deliveries` with no index named after it. */
function hasFullScan(plan: string): boolean {
  return plan.split(" | ").some((step) => /^SCAN deliveries\b/.test(step) && !/USING (COVERING )?INDEX/.test(step));
}

const cursor = "01KB0000000000000000000000";

describe("deliveries list", () => {
  it.each<[string, DeliveryListQuery, string]>([
    ["by status", { status: "failed", limit: 50 }, "deliveries_by_status"],
    ["by status after a cursor", { status: "pending", limit: 50, cursor }, "deliveries_by_status"],
    ["by event", { event_id: "01KB", limit: 50 }, "deliveries_by_event"],
    ["by event after a cursor", { event_id: "01KB", limit: 50, cursor }, "deliveries_by_event"],
    ["by destination", { destination_id: "default", limit: 50 }, "deliveries_by_destination"],
    [
      "by destination and status",
      { destination_id: "default", status: "failed", limit: 50 },
      "deliveries_by_destination_status",
    ],
  ])("%s walks its (filter, id) index newest first, without sorting", async (_case, query, index) => {
    const { sql, params } = deliveryListStatement(query);
    const plan = await planOf(sql, params);
    expect(hasFullScan(plan), plan).toBe(false);
    expect(plan).toContain(index);
    expect(plan, "sorting would read every match first").not.toContain("TEMP B-TREE");
  });
});

describe("the dashboard's reads", () => {
  it.each([
    ["failed", [50], "deliveries_by_status"],
    ["retrying", [50], "deliveries_by_status"],
    ["lastDelivered", [], "deliveries_by_last_attempt"],
    ["countFailed", [1000], "deliveries_by_"],
    ["countRetrying", [1000], "deliveries_by_"],
  ] as const)("%s reads an index, and each row's event by its key, without sorting", async (name, params, index) => {
    const plan = await planOf(DELIVERY_READ_SQL[name], [...params]);
    expect(hasFullScan(plan), plan).toBe(false);
    expect(plan).toContain(index);
    expect(plan).not.toContain("TEMP B-TREE");
    expect(plan).not.toMatch(/SCAN e\b|SCAN events\b/);
  });
});

describe("background statements", () => {
  it("the sweeper finds overdue deliveries from (status, next_attempt_at)", async () => {
    const plan = await planOf(DELIVERY_SQL.takeOverdue, [Date.now(), Date.now(), 500]);
    expect(hasFullScan(plan), plan).toBe(false);
    expect(plan).toContain("deliveries_due");
  });

  it("the health check reads only pending and recently failed deliveries from an index", async () => {
    const pending = await planOf(DELIVERY_SQL.failingPending, [3]);
    const failed = await planOf(DELIVERY_SQL.failedLately, [Date.now() - 3_600_000]);
    expect(hasFullScan(pending), pending).toBe(false);
    expect(hasFullScan(failed), failed).toBe(false);
    expect(failed).toContain("deliveries_by_last_attempt");
  });

  it("the walk reads a page's end along events by seq, and inserts from the seq range, without sorting", async () => {
    const end = await planOf(WALK_SQL.pageEnd, [0, 500]);
    expect(end).toContain("events_by_seq");
    expect(end).not.toContain("TEMP B-TREE");
    const insert = await planOf(WALK_SQL.deliveries, ["default", 0, 500, "token", "PREFIX", Date.now(), Date.now()]);
    expect(insert).toContain("events_by_seq");
    // Not the status index: that would read every settled event the table holds.
    expect(insert).not.toContain("events_by_status");
  });

  it("the retention purge looks for an event's pending delivery on the (event_id, id) index", async () => {
    for (const sql of [RETENTION_SQL.eventChunk, RETENTION_SQL.eventChunkKeys]) {
      const plan = await planOf(sql, [cursor, Date.now(), 500]);
      expect(hasFullScan(plan), plan).toBe(false);
      expect(plan).toContain("deliveries_by_event");
    }
  });
});
