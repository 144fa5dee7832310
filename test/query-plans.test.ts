/**
 * Every list filter, the order timeline and the stats are answered from an index: the test
 * asks SQLite for each statement's plan and fails on a scan of `events` that uses no index.
 * Then, on a seeded table, it checks what D1 reports as `rows_read` (which a plan cannot show):
 * a list page reads at most about 10x its limit whatever the filters, the stats a bounded number
 * of rows whatever the table size.
 */
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { LIST_FILTER_COLUMNS } from "../src/events/vocabulary";
import { encodeIdTime } from "../src/lib/ids";
import { toEventListQuery } from "../src/read-model/event-query";
import { readEventPage } from "../src/read-model/event-reads";
import { rollUpEvents } from "../src/store/event-counts";
import { eventListStatement, ORDER_TIMELINE_SQL } from "../src/store/event-reads";
import { readEventStats, STATS_SQL } from "../src/store/stats";
import { fullScans, planOf } from "./helpers/query-plan";

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
  it.each(Object.entries(STATS_SQL))("%s never scans the events table", async (_name, sql) => {
    const plan = await planOf(sql, sql.includes("?1") ? [Date.now() - 86_400_000] : []);
    expect(fullScans(plan), plan.join(" | ")).toEqual([]);
  });
});

const SEEDED = 3_000;
const RUN = crypto.randomUUID().slice(0, 8);
/** Seeded rows are spread over the last two hours, one event name in five, one failure in a hundred. */
const SEED_SQL = `INSERT INTO events (id, dedupe_key, request_id, event, category, seller_id, resource_type,
    resource_id, order_number, status, received_at, payload)
  WITH RECURSIVE seq(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM seq WHERE i < ?1)
  SELECT ?2 || printf('%016d', ?3 + i), 'qp-' || ?4 || '-' || (?3 + i), NULL,
    CASE i % 5 WHEN 0 THEN 'order.created' WHEN 1 THEN 'order.shipped' WHEN 2 THEN 'order.completed'
      WHEN 3 THEN 'shipment.created' ELSE 'order.ready_to_ship' END,
    CASE i % 5 WHEN 3 THEN 'shipment' ELSE 'order' END,
    'S' || (i % 50), 'order', 'OM' || ?4 || (i / 3), 'OM' || ?4 || (i / 3),
    CASE WHEN i % 100 = 0 THEN 'failed' WHEN i % 10 = 0 THEN 'received' ELSE 'processed' END,
    ?5 + i, '{}'
  FROM seq`;

async function seed(count: number, offset: number) {
  const base = Date.now() - 2 * 3_600_000;
  await env.DB.prepare(SEED_SQL).bind(count, encodeIdTime(base), offset, RUN, base).run();
}

async function rowsRead(statement: { sql: string; params: (string | number)[] }): Promise<number> {
  const result = await env.DB.prepare(statement.sql)
    .bind(...statement.params)
    .all();
  return result.meta.rows_read ?? Number.NaN;
}

/** What one page costs: the page, plus the walk count when it came back short. */
async function pageRowsRead(filters: Record<string, string>, limit: number): Promise<number> {
  const statement = eventListStatement(toEventListQuery({ ...filters, limit: limit + 1 }));
  return (await rowsRead(statement)) + (statement.scanned ? await rowsRead(statement.scanned) : 0);
}

describe(`rows read on ${SEEDED} seeded events`, () => {
  beforeAll(async () => {
    await seed(SEEDED, 0);
  });

  const COMBINATIONS: Record<string, string>[] = [
    {},
    { status: "failed" },
    { event: "order.created" },
    { status: "received", category: "order" },
    { event: "order.shipped", seller_id: "S7" },
    { order_number: `OM${RUN}1`, status: "processed" },
    { status: "failed", seller_id: "S7" },
    { category: "shipment", event: "order.created", status: "failed" },
    { event: "order.created", status: "failed", seller_id: "S0", category: "order" },
  ];

  it.each(COMBINATIONS.map((filters) => [JSON.stringify(filters), filters] as const))(
    "a page filtered by %s reads at most 10x its limit",
    async (_name, filters) => {
      for (const limit of [10, 50]) {
        const read = await pageRowsRead(filters, limit);
        expect(read, `limit ${limit}`).toBeLessThanOrEqual(10 * limit);
      }
    },
  );

  it("pages cut short by the scan budget say partial, and their cursors reach every match once", async () => {
    const filters = { event: "order.created", status: "failed" } as const;
    const seen: string[] = [];
    let cursor: string | undefined;
    let partial = 0;
    for (let page = 0; page < 200; page++) {
      const answer = await readEventPage(env, { ...filters, limit: 10, cursor });
      seen.push(...answer.events.map((e) => e.id));
      if (answer.partial) partial += 1;
      if (!answer.next_cursor) break;
      cursor = answer.next_cursor;
    }
    const { results } = await env.DB.prepare(
      "SELECT id FROM events WHERE event = ?1 AND status = ?2 AND dedupe_key LIKE ?3 ORDER BY id DESC",
    )
      .bind(filters.event, filters.status, `qp-${RUN}-%`)
      .all<{ id: string }>();
    const expected = results.map((r) => r.id);
    expect(expected.length).toBe(SEEDED / 100);
    expect(seen.filter((id) => expected.includes(id))).toEqual(expected);
    expect(new Set(seen).size).toBe(seen.length);
    expect(partial).toBeGreaterThan(0);
  });

  it("the stats read a bounded number of rows, the same with three times the events", async () => {
    const statsRowsRead = async () => {
      const windowStart = Date.now() - 86_400_000;
      const results = await env.DB.batch(
        Object.values(STATS_SQL).map((sql) => env.DB.prepare(sql).bind(...(sql.includes("?1") ? [windowStart] : []))),
      );
      return results.reduce((sum, r) => sum + (r.meta.rows_read ?? Number.NaN), 0);
    };
    const rollUp = async () => {
      while ((await rollUpEvents(env.DB, 5_000, Date.now())) === 5_000);
    };
    await rollUp();
    const small = await statsRowsRead();
    await seed(2 * SEEDED, SEEDED);
    await rollUp();
    const large = await statsRowsRead();
    expect(small).toBeLessThan(400);
    expect(large).toBeLessThanOrEqual(small + 20);
    const stats = await readEventStats(env.DB, Date.now() - 86_400_000);
    expect(stats.complete).toBe(true);
    expect(stats.byStatus.find((s) => s.status === "failed")?.n).toBeGreaterThanOrEqual((3 * SEEDED) / 100);
  });
});

it("the check itself catches a full scan of the table", async () => {
  const plan = await planOf("SELECT id FROM events NOT INDEXED WHERE payload = ?1 ORDER BY id DESC LIMIT 5", ["x"]);
  expect(plan.length).toBeGreaterThan(0);
  expect(fullScans(plan), plan.join(" | ")).not.toEqual([]);
});
