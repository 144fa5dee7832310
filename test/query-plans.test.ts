/**
 * Every list filter, the order timeline and the stats are answered from an index: the test
 * asks SQLite for each statement's plan and fails on a scan of `events` that uses no index.
 */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { toEventListQuery } from "../src/api/event-query";
import { LIST_FILTER_COLUMNS } from "../src/events/vocabulary";
import { encodeIdTime } from "../src/lib/ids";
import { eventListStatement, ORDER_TIMELINE_SQL } from "../src/store/event-reads";
import { STATS_SQL } from "../src/store/stats";

type PlanRow = { id: number; parent: number; notused: number; detail: string };

async function planOf(sql: string, params: (string | number)[]): Promise<string[]> {
  const { results } = await env.DB.prepare(`EXPLAIN QUERY PLAN ${sql}`)
    .bind(...params)
    .all<PlanRow>();
  return results.map((row) => row.detail);
}

/** A full scan of the table: `SCAN events` with no index named after it. */
function fullScans(plan: string[]): string[] {
  return plan.filter((step) => /^SCAN events\b/.test(step) && !/USING (COVERING )?INDEX/.test(step));
}

const INDEX_OF = {
  event: "events_by_event",
  category: "events_by_category",
  status: "events_by_status",
  resource_id: "events_by_resource",
  order_number: "events_by_order",
  seller_id: "events_by_seller",
} as const;

const hourAgo = Date.now() - 3_600_000;

describe("event list", () => {
  it.each(LIST_FILTER_COLUMNS)(
    "filter %s walks its (filter, id) index, also with since, until and a cursor",
    async (column) => {
      for (const bounds of [
        {},
        { since: hourAgo },
        { since: hourAgo, until: Date.now(), cursor: `${encodeIdTime(Date.now())}0000000000000000` },
      ]) {
        const { sql, params } = eventListStatement(toEventListQuery({ [column]: "x", limit: 51, ...bounds }));
        const plan = await planOf(sql, params);
        expect(fullScans(plan), plan.join(" | ")).toEqual([]);
        expect(plan.join(" | ")).toContain(INDEX_OF[column]);
        expect(plan.join(" | "), "sorting would read every match first").not.toContain("TEMP B-TREE");
      }
    },
  );

  it("no filter walks the primary key newest first", async () => {
    const { sql, params } = eventListStatement(toEventListQuery({ since: hourAgo, limit: 51 }));
    const plan = await planOf(sql, params);
    expect(fullScans(plan), plan.join(" | ")).toEqual([]);
    expect(plan.join(" | ")).not.toContain("TEMP B-TREE");
  });

  it("several filters together still use an index", async () => {
    const { sql, params } = eventListStatement(
      toEventListQuery({ event: "order.shipped", status: "failed", seller_id: "1001", limit: 51 }),
    );
    const plan = await planOf(sql, params);
    expect(fullScans(plan), plan.join(" | ")).toEqual([]);
  });
});

it("the order timeline walks the (order_number, id) index", async () => {
  const plan = await planOf(ORDER_TIMELINE_SQL, ["OM1", 500]);
  expect(fullScans(plan), plan.join(" | ")).toEqual([]);
  expect(plan.join(" | ")).toContain("events_by_order");
});

describe("stats", () => {
  it.each(Object.entries(STATS_SQL))("%s reads an index, not the table", async (_name, sql) => {
    const bound = (ago: number) => encodeIdTime(Date.now() - ago);
    const params = sql.includes("?2")
      ? [bound(7_200_000), bound(3_600_000)]
      : sql.includes("?1")
        ? [bound(86_400_000)]
        : [];
    const plan = await planOf(sql, params);
    expect(fullScans(plan), plan.join(" | ")).toEqual([]);
    expect(plan.join(" | "), "a GROUP BY sorting every row").not.toContain("TEMP B-TREE FOR GROUP BY");
  });
});

it("the check itself catches a full scan of the table", async () => {
  const plan = await planOf("SELECT id FROM events NOT INDEXED WHERE payload = ?1 ORDER BY id DESC LIMIT 5", ["x"]);
  expect(plan.length).toBeGreaterThan(0);
  expect(fullScans(plan), plan.join(" | ")).not.toEqual([]);
});
