/**
 * The read side of the benchmark: latency of the read API's list queries (p50/p95 over
 * sequential requests) and the query plan SQLite picks for each, so "answered from an index"
 * is checked, not assumed. The SQL explained is the SQL the worker runs, imported from
 * src/store/event-reads.ts and src/store/stats.ts (bundled by esbuild).
 */
import { fileURLToPath } from "node:url";
import { howItReads, percentile } from "./report.mjs";
import { querySql } from "./seed.mjs";

/**
 * The list queries a user makes, by name: path and query string of the read API. Order
 * OMS00000108 exists at every seeded size (row 108 is an `order.all` event; see seed.mjs).
 */
export function listQueries(now) {
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

export async function timeListQueries({ url, token, samples, now }) {
  const headers = { authorization: `Bearer ${token}` };
  const first = await fetch(`${url}/api/events?event=order.created`, { headers });
  const cursor = first.ok ? ((await first.json()).next_cursor ?? "") : "";
  const rows = [];
  for (const [name, pathTemplate] of listQueries(now)) {
    const path = pathTemplate.replace("{cursor}", encodeURIComponent(cursor));
    const times = [];
    let status = 0;
    let count = null;
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
function inline(sql, params) {
  return sql.replace(/\?(\d+)/g, (_, n) => {
    const value = params[Number(n) - 1];
    return typeof value === "number" ? String(value) : `'${String(value).replace(/'/g, "''")}'`;
  });
}

/**
 * The statements of src/store/event-reads.ts and src/store/stats.ts as a module Node can import:
 * bundled with esbuild (wrangler's own bundler, already installed), since their imports have no
 * file extensions.
 */
async function loadEventStore() {
  const { build } = await import("esbuild");
  const bundled = await build({
    stdin: {
      contents: [
        'export { eventListStatement, ORDER_TIMELINE_SQL } from "./store/event-reads";',
        'export { STATS_SQL } from "./store/stats";',
        'export { LIST_FILTER_COLUMNS } from "./events/vocabulary";',
      ].join("\n"),
      resolveDir: fileURLToPath(new URL("../../src/", import.meta.url)),
      loader: "ts",
    },
    bundle: true,
    format: "esm",
    platform: "neutral",
    write: false,
    logLevel: "silent",
  });
  const code = bundled.outputFiles[0].text;
  return import(`data:text/javascript;base64,${Buffer.from(code).toString("base64")}`);
}

/** EXPLAIN QUERY PLAN of every list statement the read API can run on one filter, plus timeline and stats. */
export async function explainListQueries(persistTo) {
  let store;
  try {
    store = await loadEventStore();
  } catch (err) {
    return [
      {
        name: "(plans)",
        plan: `not checked: could not load the event store statements: ${err.message}`,
        fullScan: null,
      },
    ];
  }
  const cursor = "01ZZZZZZZZZZZZZZZZZZZZZZZZ";
  const since = "0000000000";
  const statements = [
    ["newest", store.eventListStatement({ filters: {}, limit: 51 })],
    ...store.LIST_FILTER_COLUMNS.map((column) => [
      column,
      store.eventListStatement({ filters: { [column]: "x" }, maxId: cursor, limit: 51 }),
    ]),
    ["since+until", store.eventListStatement({ filters: {}, minId: since, maxId: cursor, limit: 51 })],
    ["status+seller", store.eventListStatement({ filters: { status: "processed", seller_id: "S7" }, limit: 201 })],
    ["order timeline", { sql: store.ORDER_TIMELINE_SQL, params: ["OMS00000108", 500] }],
    ...Object.entries(store.STATS_SQL ?? {}).map(([name, sql]) => [`stats.${name}`, { sql, params: [since] }]),
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
