/**
 * The read side of the benchmark: latency of the read API's list queries (p50/p95 over
 * sequential requests) and the query plan SQLite picks for each, so "answered from an index"
 * is checked, not assumed. The SQL explained is the SQL the worker runs, imported from
 * src/store/event-reads.ts and src/store/stats.ts (bundled by esbuild).
 */
import { fileURLToPath } from "node:url";
import type { EventStore, Statement } from "./event-store.ts";
import { howItReads, percentile } from "./report.ts";
import { querySql } from "./seed.ts";

/**
 * The list queries a user makes, by name: path and query string of the read API. Order
 * OMS00000108 exists at every seeded size (row 108 is an `order.all` event; see seed.ts).
 */
export function listQueries(now: number): [name: string, path: string][] {
  return [
    ["newest", "/api/events"],
    ["event", "/api/events?event=order.created"],
    ["category", "/api/events?category=shipment"],
    ["status", "/api/events?status=failed"],
    ["resource_id", "/api/events?resource_id=OMS00000108"],
    ["seller_id", "/api/events?seller_id=S7"],
    ["since+until", `/api/events?since=${now - 86_400_000}&until=${now}`],
    ["status+seller", "/api/events?status=processed&seller_id=S7&limit=200"],
    ["page 2 (cursor)", "/api/events?event=order.created&cursor={cursor}"],
    ["order timeline", "/api/orders/OMS00000108"],
    ["stats", "/api/stats"],
  ];
}

/** One list query's timing: its last status, the rows of its first answer, p50/p95 ms. */
export type QueryTiming = {
  name: string;
  path: string;
  status: number;
  rows: number | null;
  p50: number | null;
  p95: number | null;
};

export async function timeListQueries({
  url,
  token,
  samples,
  now,
}: {
  url: string;
  token: string;
  samples: number;
  now: number;
}): Promise<QueryTiming[]> {
  const headers = { authorization: `Bearer ${token}` };
  const first = await fetch(`${url}/api/events?event=order.created`, { headers });
  const cursor = first.ok ? (((await first.json()) as { next_cursor?: string }).next_cursor ?? "") : "";
  const rows: QueryTiming[] = [];
  for (const [name, pathTemplate] of listQueries(now)) {
    const path = pathTemplate.replace("{cursor}", encodeURIComponent(cursor));
    const times: number[] = [];
    let status = 0;
    let count: number | null = null;
    for (let i = 0; i < samples + 3; i++) {
      const started = performance.now();
      const res = await fetch(`${url}${path}`, { headers });
      const body = await res.text();
      if (i >= 3) times.push(performance.now() - started);
      status = res.status;
      if (count === null && res.ok) {
        const parsed = JSON.parse(body);
        count = Array.isArray(parsed.events) ? parsed.events.length : null;
      }
    }
    rows.push({ name, path, status, rows: count, p50: percentile(times, 50), p95: percentile(times, 95) });
  }
  return rows;
}

/** `?1`, `?2`… replaced by SQL literals, so the statement can be explained from the command line. */
function inline(sql: string, params: readonly unknown[]): string {
  return sql.replace(/\?(\d+)/g, (_, n: string) => {
    const value = params[Number(n) - 1];
    return typeof value === "number" ? String(value) : `'${String(value).replace(/'/g, "''")}'`;
  });
}

/**
 * The statements of src/store/event-reads.ts and src/store/stats.ts as a module Node can import:
 * workers/event-store.ts bundled with esbuild (wrangler's own bundler, already installed), since
 * the imports of src/ have no file extensions.
 */
async function loadEventStore(): Promise<EventStore> {
  const { build } = await import("esbuild");
  const bundled = await build({
    entryPoints: [fileURLToPath(new URL("./workers/event-store.ts", import.meta.url))],
    bundle: true,
    format: "esm",
    platform: "neutral",
    write: false,
    logLevel: "silent",
  });
  const code = bundled.outputFiles[0]?.text ?? "";
  const bundle = (await import(`data:text/javascript;base64,${Buffer.from(code).toString("base64")}`)) as {
    eventStore: EventStore;
  };
  return bundle.eventStore;
}

/** The plan SQLite picks for one statement; `fullScan` null when plans could not be read. */
export type QueryPlan = { name: string; plan: string; fullScan: boolean | null; reads?: string };

/** EXPLAIN QUERY PLAN of every list statement the read API can run on one filter, plus timeline and stats. */
export async function explainListQueries(persistTo: string): Promise<QueryPlan[]> {
  let store: EventStore;
  try {
    store = await loadEventStore();
  } catch (err) {
    return [
      {
        name: "(plans)",
        plan: `not checked: could not load the event store statements: ${err instanceof Error ? err.message : err}`,
        fullScan: null,
      },
    ];
  }
  const cursor = "01ZZZZZZZZZZZZZZZZZZZZZZZZ";
  const since = "0000000000";
  const statements: [name: string, statement: Statement][] = [
    ["newest", store.eventListStatement({ filters: {}, limit: 51 })],
    ...store.LIST_FILTER_COLUMNS.map((column): [string, Statement] => [
      column,
      store.eventListStatement({ filters: { [column]: "x" }, maxId: cursor, limit: 51 }),
    ]),
    ["since+until", store.eventListStatement({ filters: {}, minId: since, maxId: cursor, limit: 51 })],
    ["status+seller", store.eventListStatement({ filters: { status: "processed", seller_id: "S7" }, limit: 201 })],
    ["order timeline", { sql: store.ORDER_TIMELINE_SQL, params: ["OMS00000108", 500] }],
    ...Object.entries(store.STATS_SQL ?? {}).map(([name, sql]): [string, Statement] => [
      `stats.${name}`,
      { sql, params: [since] },
    ]),
  ];
  const plans = querySql(
    persistTo,
    statements.map(([, { sql, params }]) => `EXPLAIN QUERY PLAN ${inline(sql, params)}`).join(";\n"),
  );
  return statements.map(([name, { sql }], i) => {
    const plan = (plans[i] ?? []).map((row) => row.detail).join("; ");
    return { name, plan, fullScan: /SCAN events(?! USING)/.test(plan), reads: howItReads(plan, sql) };
  });
}
