/**
 * Archive and retention: what an event and an order snapshot cost in D1 (D1's own database size,
 * `meta.size_after`, before and after seeding ARCHIVE_EVENTS events with the fixtures' pushes and
 * order detail), then the project's retention runs one after the other, as the minute cron would,
 * until everything past RETENTION_DAYS is archived: events and objects per run, wall time and the
 * workerd CPU of each run, the archive's compression, and the days until D1 reaches 10 GB.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { ROOT } from "../../lib/local-stack.ts";
import type { Scenario } from "../bench.ts";
import { cpuByName } from "../cpu.ts";
import { fmt, median, table } from "../report.ts";
import { migrateBenchWorker } from "../targets.ts";

const ARCHIVE_CONFIG = "scripts/bench/workers/wrangler.archive.toml";
const DAY_MS = 86_400_000;
const GB = 1e9;
const D1_CAP = 10 * GB;

type RunAnswer = {
  outcome: { ran: boolean; archivedEvents: number; archivedObjects: number; removed: Record<string, number> };
  wallMs: number;
};

async function call<T>(url: string, init?: RequestInit): Promise<T> {
  const res = await fetch(url, init);
  if (!res.ok) throw new Error(`${init?.method ?? "GET"} ${url} answered ${res.status}: ${await res.text()}`);
  return (await res.json()) as T;
}

const post = <T>(url: string, body?: unknown) =>
  call<T>(url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body ?? {}) });

/** Days until D1 holds 10 GB at `daily` bytes a day when rows are kept `keepDays`; null: never (steady below). */
function daysToCap(daily: number, keepDays: number): number | null {
  return keepDays * daily > D1_CAP ? Math.floor(D1_CAP / daily) : null;
}

export default {
  summary:
    "archive and retention: D1 bytes per event and snapshot, compression, events archived per cron run and its CPU",
  knobs:
    "ARCHIVE_EVENTS (10000), ARCHIVE_EVENTS_PER_ORDER (5), ARCHIVE_ARRIVAL (burst | spread), ARCHIVE_VARY (figures | words)",
  report: "archive-run",
  async run(bench) {
    const count = Number(process.env.ARCHIVE_EVENTS ?? 10_000);
    const perOrder = Number(process.env.ARCHIVE_EVENTS_PER_ORDER ?? 5);
    // burst: an order's events arrive together (its snapshot repeats within an object); spread:
    // over the day (every line of an object carries another order's snapshot).
    const arrival = process.env.ARCHIVE_ARRIVAL === "spread" ? "spread" : "burst";
    // figures: numbers and digits vary per event and order; words: every letter too (a bound).
    const words = process.env.ARCHIVE_VARY === "words";
    const orders = Math.ceil(count / perOrder);
    const persistTo = bench.tempDir("omisell-bench-archive-");
    migrateBenchWorker(persistTo, ARCHIVE_CONFIG);
    const worker = await bench.startWorker({ persistTo, config: ARCHIVE_CONFIG });
    const fixtures = join(ROOT, "test/fixtures");
    const pushes = readdirSync(join(fixtures, "pushes"))
      .filter((name) => name.endsWith(".json"))
      .map((name) => JSON.stringify(JSON.parse(readFileSync(join(fixtures, "pushes", name), "utf8"))));
    const detail = (JSON.parse(readFileSync(join(fixtures, "order-detail-response.json"), "utf8")) as { data: object })
      .data;
    const averagePush = pushes.reduce((n, p) => n + p.length, 0) / pushes.length;
    bench.say(
      `archive scenario: ${count} events (${perOrder} per order, ${orders} orders, arriving in ${arrival}), fixture pushes of ${fmt(averagePush)} B on average, order detail of ${JSON.stringify(detail).length} B (${words ? "every letter and figure" : "figures"} varied per event and order)`,
    );

    const from = Math.floor((Date.now() - 100 * DAY_MS) / DAY_MS) * DAY_MS;
    const runId = bench.runId;
    const empty = (await call<{ bytes: number }>(`${worker.url}/size`)).bytes;
    const withEvents = (
      await post<{ bytes: number }>(`${worker.url}/seed/events`, {
        count,
        perOrder,
        arrival,
        words,
        from,
        spanMs: DAY_MS,
        pushes,
        runId,
      })
    ).bytes;
    const withSnapshots = (
      await post<{ bytes: number }>(`${worker.url}/seed/snapshots`, { orders, runId, detail, at: from + DAY_MS, words })
    ).bytes;
    const perEvent = (withEvents - empty) / count;
    const perSnapshot = (withSnapshots - withEvents) / orders;
    bench.say(
      `D1 size: empty ${empty} B, with events ${withEvents} B, with snapshots ${withSnapshots} B: ` +
        `${fmt(perEvent)} B per event (row and indexes), ${fmt(perSnapshot)} B per snapshot`,
    );

    const runs: { events: number; objects: number; removed: number; wallMs: number; cpuMs: number }[] = [];
    const pid = worker.child.pid;
    for (let i = 0; i < Math.ceil(count / 1000) + 5; i++) {
      const before = cpuByName(pid).workerd ?? 0;
      const answer = await post<RunAnswer>(`${worker.url}/retention?now=${Date.now()}`);
      const cpuMs = (cpuByName(pid).workerd ?? 0) - before;
      const removed = Object.values(answer.outcome.removed).reduce((n, v) => n + v, 0);
      if (!answer.outcome.ran) throw new Error("a retention run did not start");
      if (removed === 0) break;
      runs.push({
        events: answer.outcome.archivedEvents,
        objects: answer.outcome.archivedObjects,
        removed,
        wallMs: answer.wallMs,
        cpuMs,
      });
    }
    const afterPurge = (await call<{ bytes: number }>(`${worker.url}/size`)).bytes;
    const archive = await call<{ objects: number; stored: number; plain: number; lines: number }>(
      `${worker.url}/archive`,
    );
    bench.say("\nretention runs (default limits: 10 chunks of 500 per kind), one after the other:");
    bench.say(
      table(
        ["run", "events archived", "objects", "rows removed", "wall ms", "workerd CPU ms", "CPU ms per 1,000 events"],
        runs.map((r, i) => [
          i + 1,
          r.events,
          r.objects,
          r.removed,
          fmt(r.wallMs),
          fmt(r.cpuMs),
          r.events > 0 ? fmt((r.cpuMs / r.events) * 1000) : "-",
        ]),
      ),
    );
    const full = runs.filter((r) => r.events >= 5000);
    bench.say(
      `full runs: median ${fmt(median(full.map((r) => r.events)))} events, ${fmt(median(full.map((r) => r.wallMs)))} ms wall, ` +
        `${fmt(median(full.map((r) => r.cpuMs)))} ms workerd CPU (D1's SQLite included: it runs in the same workerd locally)`,
    );
    bench.say(
      `archive: ${archive.objects} objects, ${archive.lines} lines (of ${count} events), ${archive.plain} B as NDJSON, ` +
        `${archive.stored} B stored (gzip): ratio ${fmt(archive.plain / archive.stored, 1)}x, ` +
        `${fmt(archive.stored / archive.lines)} B per event in R2`,
    );
    bench.say(`D1 size after the purge: ${afterPurge} B`);

    const rows = [5_000, 20_000, 100_000].map((perDay) => {
      const daily = perDay * perEvent + (perDay / perOrder) * perSnapshot;
      const without = daysToCap(daily, 90);
      const withArchive = daysToCap(daily, 14);
      return {
        perDay,
        dailyMb: daily / 1e6,
        without,
        steady90: (90 * daily) / GB,
        withArchive,
        steady14: (14 * daily) / GB,
        r2PerDayMb: (perDay * archive.stored) / archive.lines / 1e6,
      };
    });
    bench.say(`\ndays until D1 holds 10 GB (${perOrder} events per order, a snapshot per order):`);
    bench.say(
      table(
        ["events a day", "D1 MB a day", "RETENTION_DAYS 90, no archive", "RETENTION_DAYS 14 + archive", "R2 MB a day"],
        rows.map((r) => [
          r.perDay,
          fmt(r.dailyMb, 1),
          r.without === null ? `never (steady ${fmt(r.steady90, 2)} GB)` : `${r.without} days`,
          r.withArchive === null ? `never (steady ${fmt(r.steady14, 2)} GB)` : `${r.withArchive} days`,
          fmt(r.r2PerDayMb, 1),
        ]),
      ),
    );
    return {
      count,
      perOrder,
      empty,
      withEvents,
      withSnapshots,
      perEvent,
      perSnapshot,
      runs,
      afterPurge,
      archive,
      rows,
    };
  },
} satisfies Scenario;
