/**
 * A sale day within Omisell's budget, time compressed ten times: the bucket and OMISELL_RATE_LIMIT
 * 100/6, FOLLOWUP_FRESHNESS_SECONDS 12, an hour of 6 minutes. 1,000 orders known before the hour
 * (their detail stored) change status 3 times each in the seller's bulk actions, 1,000 new orders
 * arrive with order.created and one change each (5,000 changes), while the stand-in's other tool
 * spends 20 % of the bucket. Played once per FOLLOWUP_DETAIL mode (adaptive, then always), each on a
 * fresh stack.
 *
 * Reports per mode: Omisell calls per order change for the hour's follow-ups (until every event of
 * the hour settled), p50/p95/p99 freshness from /api/stats, failed, 429s, our calls against the
 * 80 % share (and the fullest the bucket was after one of our calls), then the detail backfill apart:
 * its calls and how long until no order's summary is newer than its detail (the cron, asked every 6 s
 * as wrangler dev runs it only when asked, which compressed is once a minute).
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { applyLocalMigrations, executeLocalSqlFile, queryLocalD1 } from "../../lib/local-stack.ts";
import {
  knownOrderNumber,
  planSaleDay,
  playSaleDay,
  type SaleDayShape,
  seedKnownOrdersSql,
  tellStandin,
} from "../../lib/sale-day.ts";
import type { StandinStats } from "../../omisell-standin.ts";
import type { Bench, Scenario } from "../bench.ts";

const knob = (name: string, fallback: string | number) => process.env[name] ?? String(fallback);
const SECRET = "bench-saleday-secret";
const TOKEN = "bench-saleday-token";

type Freshness = {
  p50_seconds: number | null;
  p95_seconds: number | null;
  p99_seconds: number | null;
  settled: number;
};
type StatsBody = { by_status: Record<string, number>; freshness: { last_hour: Freshness }; counts_complete: boolean };

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Our calls: the order detail and the order list, whatever their answer (the other tool is counted apart). */
const ourCalls = (stats: StandinStats) => (stats.routes.order ?? 0) + (stats.routes.order_list ?? 0);

async function stats(url: string): Promise<StatsBody> {
  const res = await fetch(`${url}/api/stats`, { headers: { authorization: `Bearer ${TOKEN}` } });
  if (!res.ok) throw new Error(`GET /api/stats answered ${res.status}`);
  return (await res.json()) as StatsBody;
}

function count(persistTo: string, sql: string): number {
  return queryLocalD1<{ n: number }>(persistTo, sql)[0]?.n ?? 0;
}

type Settings = {
  shape: Omit<SaleDayShape, "runId">;
  rate: string;
  targetSeconds: number;
  otherTool: number;
  quietMs: string | undefined;
  drainTimeoutMs: number;
  backfillTimeoutMs: number;
};

async function runMode(bench: Bench, mode: string, settings: Settings) {
  const runId = `${bench.runId}${mode.slice(0, 2)}`;
  const shape: SaleDayShape = { ...settings.shape, runId };
  const [capacity = 0, seconds = 0] = settings.rate.split("/").map(Number);
  const persistTo = bench.tempDir("omisell-saleday-");
  applyLocalMigrations(persistTo, { quiet: true });
  const known = Array.from({ length: shape.known }, (_, i) => knownOrderNumber(runId, i));
  const seedFile = join(persistTo, "seed.sql");
  writeFileSync(seedFile, seedKnownOrdersSql(known, Date.now() - 3_600_000));
  executeLocalSqlFile(persistTo, seedFile);
  const standin = await bench.startStandin({ rateLimit: settings.rate });
  const hourAgo = Math.floor(Date.now() / 1000) - 3600;
  for (let i = 0; i < known.length; i += 500) {
    const batch = known
      .slice(i, i + 500)
      .map((n) => ({ omisell_order_number: n, status_name: "Pending", updated_time: hourAgo }));
    await tellStandin(standin.url, batch);
  }
  const worker = await bench.startWorker({
    persistTo,
    vars: {
      OMISELL_PUSH_SECRET: SECRET,
      READ_API_TOKENS: TOKEN,
      ADMIN_API_TOKENS: "bench-saleday-admin",
      OMISELL_API_BASE: standin.url,
      OMISELL_AUTH_MODE: "account",
      OMISELL_ACCOUNT_KEY: "bench-saleday-key",
      OMISELL_RATE_LIMIT: settings.rate,
      FOLLOWUP_FRESHNESS_SECONDS: String(settings.targetSeconds),
      FOLLOWUP_DETAIL: mode,
      FOLLOWUP_PARALLELISM: String(bench.settings.followupParallelism),
      // The cron runs only when the bench asks (after the hour): reconciliation would list the
      // whole day's orders at its first run and blur the backfill's count.
      RECONCILE_EVERY_MINUTES: "0",
      ...(settings.quietMs ? { FOLLOWUP_QUIET_MS: settings.quietMs } : {}),
    },
  });
  await fetch(`${standin.url}/__standin/reset`, { method: "POST", body: "{}" });
  standin.setKnobs({ otherTool: settings.otherTool });
  const changes = planSaleDay(shape);
  bench.say(
    `\n[${mode}] ${changes.length} changes over ${(shape.hourMs / 1000).toFixed(0)} s: ${shape.known} known orders x ${shape.changesPerKnown} in bulk actions of ${shape.bulk}, ${shape.fresh} new orders x 2; bucket ${settings.rate}, other tool ${settings.otherTool * 100} %`,
  );

  const hourStart = Date.now();
  const play = await playSaleDay({
    changes,
    runId,
    workerUrl: worker.url,
    secret: SECRET,
    standinUrl: standin.url,
    signal: bench.signal,
  });
  const hourEnd = Date.now();
  let waiting = count(persistTo, "SELECT COUNT(*) AS n FROM events WHERE status = 'received'");
  while (waiting > 0 && Date.now() - hourEnd < settings.drainTimeoutMs && !bench.signal.aborted) {
    await sleep(2_000);
    waiting = count(persistTo, "SELECT COUNT(*) AS n FROM events WHERE status = 'received'");
  }
  const settledAt = Date.now();
  const atSettled = standin.stats();
  const figures = await stats(worker.url);
  const settledBy = queryLocalD1<{ settled_by: string | null; n: number }>(
    persistTo,
    "SELECT settled_by, COUNT(*) AS n FROM events GROUP BY settled_by",
  );
  const followupCalls = ourCalls(atSettled);
  const followupSeconds = (settledAt - hourStart) / 1000;
  const shareRate = ((capacity * 0.8) / seconds) * 1;

  // The backfill, after the hour: the cron asked every 6 s (a minute, compressed).
  const due = () => count(persistTo, "SELECT COUNT(*) AS n FROM resources WHERE summary_at > fetched_at");
  const dueAtStart = due();
  let left = dueAtStart;
  while (left > 0 && Date.now() - settledAt < settings.backfillTimeoutMs && !bench.signal.aborted) {
    await fetch(`${worker.url}/__scheduled?cron=${encodeURIComponent("* * * * *")}`).catch(() => {});
    await sleep(6_000);
    left = due();
  }
  const backfillSeconds = (Date.now() - settledAt) / 1000;
  const end = standin.stats();
  await bench.stopWorker(worker);

  const result = {
    mode,
    changes: changes.length,
    pushed: play.pushed,
    refusedPushes: play.refused,
    playerLateMs: play.lateMs,
    hourSeconds: (hourEnd - hourStart) / 1000,
    stillWaiting: waiting,
    followup: {
      calls: followupCalls,
      orderDetail: atSettled.routes.order ?? 0,
      orderList: atSettled.routes.order_list ?? 0,
      callsPerChange: followupCalls / changes.length,
      seconds: followupSeconds,
      callsPerSecond: followupCalls / followupSeconds,
      shareCallsPerSecond: shareRate,
      peakBucketUsed: atSettled.peakUsed,
      throttled429: atSettled.outcomes["429"] ?? 0,
    },
    freshness: figures.freshness.last_hour,
    failed: figures.by_status.failed ?? 0,
    settledBy: Object.fromEntries(settledBy.map((row) => [row.settled_by ?? "none", row.n])),
    otherTool: atSettled.otherTool,
    backfill: {
      dueAtStart,
      left,
      calls: ourCalls(end) - followupCalls,
      throttled429: (end.outcomes["429"] ?? 0) - (atSettled.outcomes["429"] ?? 0),
      seconds: backfillSeconds,
    },
  };
  const f = result.followup;
  bench.say(
    `[${mode}] pushes ${play.pushed} answered 200, ${play.refused} not (player at most ${play.lateMs} ms late); all settled ${followupSeconds.toFixed(0)} s after the hour began (${waiting} still waiting)`,
  );
  bench.say(
    `[${mode}] Omisell calls ${f.calls} (detail ${f.orderDetail}, list ${f.orderList}) for ${changes.length} changes = ${f.callsPerChange.toFixed(3)} per change (target <= 0.3)`,
  );
  bench.say(
    `[${mode}] freshness p50 ${result.freshness.p50_seconds} s, p95 ${result.freshness.p95_seconds} s, p99 ${result.freshness.p99_seconds} s over ${result.freshness.settled} settled (target p95 <= ${settings.targetSeconds} s); failed ${result.failed}; 429s ${f.throttled429}`,
  );
  bench.say(
    `[${mode}] our calls ${f.callsPerSecond.toFixed(2)}/s against the 80 % share's ${shareRate.toFixed(2)}/s; fullest bucket after one of ours ${f.peakBucketUsed}/${capacity}; other tool ${result.otherTool.calls} calls, ${result.otherTool.refused} refused; settled by ${JSON.stringify(result.settledBy)}`,
  );
  bench.say(
    `[${mode}] backfill: ${dueAtStart} orders due, ${result.backfill.calls} calls, ${result.backfill.throttled429} x 429, ${left} left after ${backfillSeconds.toFixed(0)} s`,
  );
  return result;
}

export default {
  summary: "A sale day within Omisell's budget: calls per order change, freshness, backfill (about 25 minutes)",
  knobs:
    "SALEDAY_MODES (adaptive,always), SALEDAY_KNOWN (1000), SALEDAY_NEW (1000), SALEDAY_CHANGES (3), SALEDAY_BULK (500), SALEDAY_HOUR_SECONDS (360), SALEDAY_RATE (100/6), SALEDAY_TARGET_SECONDS (12), SALEDAY_OTHER_TOOL (0.2), SALEDAY_QUIET_MS (the worker's default)",
  report: "sale-day-run",
  minDeadlineMs: 60 * 60_000,
  async run(bench) {
    const settings: Settings = {
      shape: {
        known: Number(knob("SALEDAY_KNOWN", 1000)),
        changesPerKnown: Number(knob("SALEDAY_CHANGES", 3)),
        fresh: Number(knob("SALEDAY_NEW", 1000)),
        hourMs: Number(knob("SALEDAY_HOUR_SECONDS", 360)) * 1000,
        bulk: Number(knob("SALEDAY_BULK", 500)),
        followUpMs: 1_500,
      },
      rate: knob("SALEDAY_RATE", "100/6"),
      targetSeconds: Number(knob("SALEDAY_TARGET_SECONDS", 12)),
      otherTool: Number(knob("SALEDAY_OTHER_TOOL", 0.2)),
      quietMs: process.env.SALEDAY_QUIET_MS,
      drainTimeoutMs: 10 * 60_000,
      backfillTimeoutMs: 10 * 60_000,
    };
    const modes = knob("SALEDAY_MODES", "adaptive,always")
      .split(",")
      .map((mode) => mode.trim());
    const results = [];
    for (const mode of modes) results.push(await runMode(bench, mode, settings));
    return { settings, results };
  },
} satisfies Scenario;
