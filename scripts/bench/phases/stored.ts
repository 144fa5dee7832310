/**
 * Phase 5 of the bench: how cost grows with stored events. A second fresh state is seeded to 1k,
 * 10k and 100k events while the worker is stopped; at each size the worker is started, the read
 * API's list queries are timed, and an ingest run is compared with bare. Then (5b) the rows D1
 * reads for the stats and for list pages at the largest size, through the steps worker, beside
 * the statements of the previous version.
 */
import { join } from "node:path";
import { applyLocalMigrations } from "../../lib/local-stack.ts";
import { type Bench, KiB, READ_TOKEN, type Target } from "../bench.ts";
import { timeListQueries } from "../queries.ts";
import { type Cell, fmt, table } from "../report.ts";
import { executeSqlFile, writeSeedSql } from "../seed.ts";
import { STEPS_CONFIG, storedEvents, type Targets } from "../targets.ts";

export const STORED_SIZES = [1_000, 10_000, 100_000];

/** List pages whose rows read are counted: name, query string. */
const LIST_PAGES: [name: string, query: string][] = [
  ["newest", ""],
  ["status=failed", "status=failed"],
  ["event=order.created", "event=order.created"],
  ["status=processed&seller_id=S7 (limit 200)", "status=processed&seller_id=S7&limit=200"],
  ["status=failed&category=shipment", "status=failed&category=shipment"],
  ["event=order.created&seller_id=S7", "event=order.created&seller_id=S7"],
  ["status=received&event=shipment.delivered&seller_id=S3", "status=received&event=shipment.delivered&seller_id=S3"],
];

/** Rows D1 read for one read, now and with the previous version's statements. */
export type RowsRead = { current: number; previous: number };
/** A list page's rows read: name, limit, rows returned, rows read now, before, and now over the limit. */
export type ListRead = [name: string, limit: number, rows: number, current: number, previous: number, perLimit: string];

export type StoredResult = {
  /** The seeded state, left for the query plans. */
  grownState: string;
  seeded: number;
  statsRead: RowsRead;
  listRead: ListRead[];
};

async function getJson<T>(url: string, init?: RequestInit): Promise<T> {
  return (await (await fetch(url, init)).json()) as T;
}

/** Seeds, times the reads and ingest at each size, counts rows read at the largest; prints sections 5 and 5b. */
export async function storedEventsGrowth(bench: Bench, { standin, bare }: Targets): Promise<StoredResult> {
  const { querySamples, phaseSec } = bench.settings;
  bench.say(`\n## 5. Stored events: read API latency (${querySamples} sequential requests each) and ingest`);
  const grownState = bench.tempDir("omisell-bench-grown-");
  applyLocalMigrations(grownState, { quiet: true });
  const seedFile = join(grownState, "seed.sql");
  const growthRows: Cell[][] = [];
  const queryColumns: string[] = [];
  const queryTable = new Map<string, { path: string; cells: string[] }>();
  let seeded = 0;
  for (const size of STORED_SIZES) {
    const seedStarted = Date.now();
    writeSeedSql(seedFile, seeded, size);
    executeSqlFile(grownState, seedFile);
    const seedSeconds = (Date.now() - seedStarted) / 1000;
    seeded = size;
    const grown = await bench.startOmisellPush(grownState, standin.url);
    // The every-minute cron, once: it rolls the seeded events up into the stats' counts.
    await fetch(`${grown.url}/__scheduled?cron=${encodeURIComponent("* * * * *")}`);
    const stored = await storedEvents(grown.url);
    const queries = await timeListQueries({
      url: grown.url,
      token: READ_TOKEN,
      samples: querySamples,
      now: Date.now(),
    });
    const label = `${size / 1000}k`;
    queryColumns.push(label);
    for (const q of queries) {
      const row = queryTable.get(q.name) ?? { path: q.path, cells: [] };
      row.cells.push(q.status === 200 ? `${fmt(q.p50, 1)}/${fmt(q.p95, 1)}` : `HTTP ${q.status}`);
      queryTable.set(q.name, row);
    }
    const target: Target = { tag: `g${size}`, url: grown.url, worker: grown };
    await bench.measure(target, bench.pushesFor(target, KiB, 1500), 1); // a fresh worker: warm it up first
    const a = await bench.measure(target, bench.pushesFor(target, KiB, 1500 * phaseSec), phaseSec);
    const b = await bench.measure(bare, bench.pushesFor(bare, KiB, 1500 * phaseSec), phaseSec);
    growthRows.push([
      label,
      stored,
      fmt(seedSeconds, 1),
      fmt(a.reqPerSec),
      fmt(a.p50),
      fmt(a.p99),
      a.non2xx + a.errors + a.timeouts,
      `${(a.reqPerSec / b.reqPerSec).toFixed(2)}x`,
      fmt(a.cpuMsPerRequest.workerd, 2),
    ]);
    await bench.stopWorker(grown);
  }
  bench.say(
    table(
      ["query (p50/p95 ms)", ...queryColumns.map((c) => `${c} stored`)],
      [...queryTable.entries()].map(([name, row]) => [name, ...row.cells]),
    ),
  );
  bench.say("");
  bench.say(
    table(
      [
        "seeded",
        "events before",
        "seed s",
        "ingest req/s",
        "p50 ms",
        "p99 ms",
        "non-2xx",
        "ingest/bare",
        "workerd CPU ms/push",
      ],
      growthRows,
    ),
  );

  // Rows read as D1 counts them, on the largest database, through the steps worker (bench only).
  const stepsWorker = await bench.startWorker({ persistTo: grownState, config: STEPS_CONFIG });
  const rolled = await getJson<{ rolled: number }>(`${stepsWorker.url}/rollup`, { method: "POST" });
  const statsRead = await getJson<RowsRead>(`${stepsWorker.url}/rows-read/stats`);
  const listRead: ListRead[] = [];
  for (const [name, query] of LIST_PAGES) {
    const r = await getJson<RowsRead & { rows: number }>(`${stepsWorker.url}/rows-read/list?${query}`);
    const limit = Number(new URLSearchParams(query).get("limit") ?? 50);
    listRead.push([name, limit, r.rows, r.current, r.previous, `${(r.current / limit).toFixed(1)}x`]);
  }
  await bench.stopWorker(stepsWorker);
  bench.say(
    `\n## 5b. Rows read (D1 meta.rows_read) on ${seeded / 1000}k stored events (rollup caught up ${rolled.rolled} events first)`,
  );
  bench.say(
    table(
      ["read", "rows now", "rows, previous statements"],
      [["GET /api/stats (one call, all statements)", statsRead.current, statsRead.previous]],
    ),
  );
  bench.say("");
  bench.say(
    table(["list page", "limit", "rows returned", "rows read now", "rows read before", "now / limit"], listRead),
  );
  return { grownState, seeded, statsRead, listRead };
}
