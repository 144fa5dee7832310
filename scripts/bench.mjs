/**
 * `npm run bench`: how fast omisell-push takes pushes, as a ratio of what the same local runtime
 * does with no work at all, plus the follow-up drain rate, the read API on 100,000 events, and
 * how cost grows with stored events and payload size. Everything runs on loopback, on a fresh
 * persisted state in a temp folder, and is stopped at the end (also on error or Ctrl-C).
 *
 * Phases (BENCHMARKS.md explains the method):
 *   1. ingest vs bare vs floor (one D1 insert + one queue send, no dedupe): warm-up, then
 *      A B C A B C rounds with the same connections and duration; then duplicates of accepted
 *      pushes, what the claim shards wrote to storage, and how soon an accepted push is readable
 *   2. drain: the follow-up consumer empties the backlog the rounds left, stand-in at 50 ms
 *   3. one connection each, for the latency of a single push
 *   4. payload size: 1 KiB, 64 KiB, 200 KiB pushes, ingest then bare
 *   5. stored events: 1k, 10k, 100k seeded rows: read API latency and ingest; rows read (D1's
 *      rows_read) per stats call and per list page at 100k, against the previous statements
 *   6. query plans
 *
 * Knobs (environment): BENCH_CONNECTIONS (32), BENCH_ROUND_SECONDS (10), BENCH_ROUNDS (2),
 * BENCH_PHASE_SECONDS (4, phases 3 to 5), BENCH_DRAIN_SECONDS (30), BENCH_STANDIN_LATENCY_MS (50),
 * BENCH_FOLLOWUP_PARALLELISM (25), BENCH_WRANGLER_CONFIG (wrangler.toml).
 *
 * Why 25 Omisell calls in flight: on Cloudflare the consumer runs up to max_concurrency (4)
 * batches at once, each with FOLLOWUP_PARALLELISM (4) calls in flight. `wrangler dev` hands out
 * one batch at a time, so the bench lets that one batch (max_batch_size 25) fetch all at once.
 */
import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { cpus, tmpdir, totalmem } from "node:os";
import { join } from "node:path";
import { cpuByName, cpuPerRequest } from "./bench/cpu.mjs";
import { batchDurations, measureDrain, readStatusCounts } from "./bench/drain.mjs";
import { runLoad } from "./bench/load.mjs";
import { createPushSource } from "./bench/pushes.mjs";
import { explainListQueries, timeListQueries } from "./bench/queries.mjs";
import { fmt, median, percentile, table } from "./bench/report.mjs";
import { executeSqlFile, writeSeedSql } from "./bench/seed.mjs";
import { applyLocalMigrations, freePort, ROOT, startWorker, wrangler } from "./lib/local-stack.ts";
import { startOmisellStandin } from "./omisell-standin.ts";

const knob = (name, fallback) => Number(process.env[name] ?? fallback);
const SETTINGS = {
  connections: knob("BENCH_CONNECTIONS", 32),
  roundSec: knob("BENCH_ROUND_SECONDS", 10),
  rounds: knob("BENCH_ROUNDS", 2),
  warmupSec: 3,
  phaseSec: knob("BENCH_PHASE_SECONDS", 4),
  drainSec: knob("BENCH_DRAIN_SECONDS", 30),
  standinLatencyMs: knob("BENCH_STANDIN_LATENCY_MS", 50),
  followupParallelism: knob("BENCH_FOLLOWUP_PARALLELISM", 25),
  /** What-if runs only (BENCHMARKS.md): another copy of wrangler.toml, e.g. with a larger batch. */
  wranglerConfig: process.env.BENCH_WRANGLER_CONFIG ?? "wrangler.toml",
  querySamples: 30,
  /** The whole run is cut short past this, whatever happens. */
  deadlineMs: 12 * 60_000,
};
const SECRET = "bench-push-secret";
const READ_TOKEN = "bench-read-token";
const RUN_ID = Date.now().toString(36).slice(-6);
const KiB = 1024;

const cleanups = [];
const abort = new AbortController();
const outputLines = [];

function say(text = "") {
  console.log(text);
  outputLines.push(text);
}

async function cleanUp() {
  while (cleanups.length) {
    try {
      await cleanups.pop()();
    } catch (err) {
      console.error(`cleanup: ${err.message}`);
    }
  }
}

for (const signal of ["SIGINT", "SIGTERM"]) {
  process.once(signal, async () => {
    console.error(`\n${signal}: stopping everything the bench started`);
    abort.abort();
    await cleanUp();
    process.exit(130);
  });
}
const deadline = setTimeout(async () => {
  console.error(`bench exceeded ${SETTINGS.deadlineMs / 60_000} minutes: stopping`);
  abort.abort();
  await cleanUp();
  process.exit(1);
}, SETTINGS.deadlineMs);
deadline.unref();

function tempDir(prefix) {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function workerVars(standinUrl) {
  const vars = {
    OMISELL_PUSH_SECRET: SECRET,
    READ_API_TOKENS: READ_TOKEN,
    ADMIN_API_TOKENS: "bench-admin-token",
    OMISELL_API_BASE: standinUrl,
    OMISELL_AUTH_MODE: "account",
    OMISELL_ACCOUNT_KEY: "bench-account-key",
    // The stand-in has no budget to protect: the bench measures our drain, not Omisell's 100/60.
    OMISELL_RATE_LIMIT: "1000000/60",
  };
  return { ...vars, FOLLOWUP_PARALLELISM: String(SETTINGS.followupParallelism) };
}

async function startOmisellPush(persistTo, standinUrl) {
  const worker = await startWorker({
    port: await freePort(),
    persistTo,
    quiet: true,
    config: SETTINGS.wranglerConfig,
    vars: workerVars(standinUrl),
  });
  const stop = () => worker.stop();
  cleanups.push(stop);
  return { ...worker, stop };
}

/** Stops a worker before the end of the run (to seed its database) and forgets its cleanup. */
async function stopWorker(worker) {
  const index = cleanups.lastIndexOf(worker.stop);
  if (index >= 0) cleanups.splice(index, 1);
  await worker.stop();
}

let sources = 0;

/** Signed unique pushes for one target; the callback URL is the exact URL that target sees. */
function pushesFor(target, payloadBytes, expected) {
  sources += 1;
  return createPushSource({
    runId: `${RUN_ID}${target.tag}s${sources}`,
    secret: SECRET,
    callbackUrl: `${target.url}/webhooks/omisell`,
    payloadBytes,
    prefill: expected,
  });
}

/** One load run against one target, with the CPU it cost per request in workerd and wrangler. */
async function measure(target, source, durationSec, connections = SETTINGS.connections) {
  const before = cpuByName(target.worker.child.pid);
  const result = await runLoad({
    url: target.url,
    source,
    connections,
    durationSec,
    signal: abort.signal,
  });
  result.cpuMsPerRequest = cpuPerRequest(before, cpuByName(target.worker.child.pid), result.total);
  if (abort.signal.aborted) throw new Error("aborted");
  return result;
}

const cpuCell = (r) =>
  Object.entries(r.cpuMsPerRequest)
    .map(([name, ms]) => `${name} ${ms.toFixed(2)}`)
    .join(", ");

function loadRow(label, r) {
  return [label, fmt(r.reqPerSec), fmt(r.p50), fmt(r.p99), r.non2xx, r.errors + r.timeouts, cpuCell(r)];
}
const LOAD_HEADERS = ["run", "req/s", "p50 ms", "p99 ms", "non-2xx", "errors", "CPU ms per request"];

/** The workerd that wrangler runs (wrangler may carry its own copy, newer than the top-level one). */
function workerdVersion() {
  const fromWrangler = createRequire(createRequire(import.meta.url).resolve("wrangler/package.json"));
  try {
    return fromWrangler("workerd/package.json").version;
  } catch {
    return "unknown";
  }
}

function machine() {
  const versions = wrangler(["--version"], { stdio: "pipe" }).stdout.trim().split("\n").pop();
  return [
    `cpus: ${cpus().length} x ${cpus()[0]?.model ?? "?"}`,
    `memory: ${(totalmem() / 2 ** 30).toFixed(1)} GiB`,
    `node: ${process.version}`,
    `wrangler: ${versions}, workerd: ${workerdVersion()}, autocannon: 8 (in-process, pre-signed bodies)`,
  ].join("\n");
}

/** Bytes the claim shards keep in Durable Object storage under `persistTo` (0: nothing written). */
function claimShardStorageBytes(persistTo) {
  let bytes = 0;
  const walk = (dir) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (path.includes("ClaimShard")) bytes += statSync(path).size;
    }
  };
  walk(persistTo);
  return bytes;
}

/** Events stored, by the stats (exact: rolled-up counts plus the live tail). */
async function storedEvents(url) {
  return Object.values((await readStatusCounts(url, READ_TOKEN)) ?? {}).reduce((a, b) => a + b, 0);
}

/** Sequential pushes, each read back with GET /api/events/{id} the moment its 200 arrives. */
async function acceptedToReadable(url, count) {
  const source = createPushSource({
    runId: `${RUN_ID}lag`,
    secret: SECRET,
    callbackUrl: `${url}/webhooks/omisell`,
    payloadBytes: KiB,
    prefill: count,
  });
  const lags = [];
  let readableAtOnce = 0;
  for (let i = 0; i < count; i++) {
    const push = source.next();
    const res = await fetch(`${url}/webhooks/omisell`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: push.authorization },
      body: push.body,
    });
    const id = res.headers.get("Push-Event-Id");
    const answered = performance.now();
    for (let poll = 0; poll < 50 && id; poll++) {
      const read = await fetch(`${url}/api/events/${id}`, { headers: { authorization: `Bearer ${READ_TOKEN}` } });
      await read.arrayBuffer();
      if (read.status === 200) {
        if (poll === 0) readableAtOnce += 1;
        lags.push(performance.now() - answered);
        break;
      }
    }
  }
  return { count, readableAtOnce, p50: percentile(lags, 50), p99: percentile(lags, 99) };
}

async function main() {
  const started = Date.now();
  say("omisell-push benchmark");
  say(machine());
  say(
    `settings: ${SETTINGS.wranglerConfig}, ${SETTINGS.connections} connections, rounds of ${SETTINGS.roundSec} s x ${SETTINGS.rounds} (A B C A B C), ` +
      `${SETTINGS.warmupSec} s warm-up, stand-in latency ${SETTINGS.standinLatencyMs} ms, all on 127.0.0.1`,
  );

  // ---- setup: the worker as `npm start` runs it, on fresh state, and the bare worker ----
  const persistTo = tempDir("omisell-bench-");
  applyLocalMigrations(persistTo, { quiet: true });
  const standin = await startOmisellStandin({ port: 0, latencyMs: SETTINGS.standinLatencyMs });
  cleanups.push(() => standin.close());
  const worker = await startOmisellPush(persistTo, standin.url);
  const bareWorker = await startWorker({
    port: await freePort(),
    quiet: true,
    config: "scripts/bench/wrangler.bare.toml",
  });
  cleanups.push(() => bareWorker.stop());
  const floorState = tempDir("omisell-bench-floor-");
  const FLOOR_CONFIG = "scripts/bench/wrangler.floor.toml";
  const migrated = wrangler(
    ["d1", "migrations", "apply", "DB", "--local", "--persist-to", floorState, "--config", FLOOR_CONFIG],
    { stdio: "pipe" },
  );
  if (migrated.status !== 0) throw new Error(`floor migrations failed:\n${migrated.stdout}${migrated.stderr}`);
  const floorWorker = await startWorker({
    port: await freePort(),
    persistTo: floorState,
    quiet: true,
    config: FLOOR_CONFIG,
  });
  cleanups.push(() => floorWorker.stop());
  const ingest = { tag: "a", url: worker.url, worker };
  const bare = { tag: "b", url: bareWorker.url, worker: bareWorker };
  const floor = { tag: "c", url: floorWorker.url, worker: floorWorker };

  // ---- phase 1: ingest vs bare vs floor, A B C A B C ----
  const expected = 1500 * (SETTINGS.roundSec * SETTINGS.rounds + SETTINGS.warmupSec);
  const ingestPushes = pushesFor(ingest, KiB, expected);
  const ingestRunId = `${RUN_ID}${ingest.tag}s${sources}`;
  const barePushes = pushesFor(bare, KiB, expected);
  const floorPushes = pushesFor(floor, KiB, expected);
  const warmIngest = await measure(ingest, ingestPushes, SETTINGS.warmupSec);
  const warmBare = await measure(bare, barePushes, SETTINGS.warmupSec);
  const warmFloor = await measure(floor, floorPushes, SETTINGS.warmupSec);
  // Every claim shard exists by now; an SQLite-backed object has a file even if it never writes.
  const shardBytesAtStart = claimShardStorageBytes(persistTo);
  const callsBefore = standin.stats().routes.order ?? 0;
  const phase1Started = performance.now();
  const rounds = [];
  for (let i = 0; i < SETTINGS.rounds; i++) {
    const a = await measure(ingest, ingestPushes, SETTINGS.roundSec);
    const b = await measure(bare, barePushes, SETTINGS.roundSec);
    const c = await measure(floor, floorPushes, SETTINGS.roundSec);
    rounds.push({ ingest: a, bare: b, floor: c });
  }
  const consumerCallsPerSec =
    ((standin.stats().routes.order ?? 0) - callsBefore) / ((performance.now() - phase1Started) / 1000);
  const sum = (key) => rounds.reduce((total, r) => total + r[key].reqPerSec, 0);
  const perRound = rounds.map((r) => r.ingest.reqPerSec / r.bare.reqPerSec);
  const overall = sum("ingest") / sum("bare");
  const ofFloor = sum("ingest") / sum("floor");
  const floorOfBare = sum("floor") / sum("bare");
  const non2xx = rounds.reduce((n, r) => n + r.ingest.non2xx + r.ingest.errors + r.ingest.timeouts, 0);
  const worstP99 = Math.max(...rounds.map((r) => r.ingest.p99));

  say(
    "\n## 1. Ingest (POST /webhooks/omisell, full path) vs bare Hono route vs floor (D1 insert + queue send), 1 KiB pushes",
  );
  say(
    table(LOAD_HEADERS, [
      loadRow("warm-up ingest", warmIngest),
      loadRow("warm-up bare", warmBare),
      loadRow("warm-up floor", warmFloor),
      ...rounds.flatMap((r, i) => [
        loadRow(`round ${i + 1} ingest (A)`, r.ingest),
        loadRow(`round ${i + 1} bare (B)`, r.bare),
        loadRow(`round ${i + 1} floor (C)`, r.floor),
      ]),
    ]),
  );
  say("");
  say(
    table(
      ["round", "ingest/bare", "floor/bare", "ingest/floor"],
      [
        ...rounds.map((r, i) => [
          `round ${i + 1}`,
          `${(r.ingest.reqPerSec / r.bare.reqPerSec).toFixed(2)}x`,
          `${(r.floor.reqPerSec / r.bare.reqPerSec).toFixed(2)}x`,
          `${(r.ingest.reqPerSec / r.floor.reqPerSec).toFixed(2)}x`,
        ]),
        ["all rounds", `${overall.toFixed(2)}x`, `${floorOfBare.toFixed(2)}x`, `${ofFloor.toFixed(2)}x`],
      ],
    ),
  );
  say(
    `target: ingest within 90 % of the floor -> ${ofFloor >= 0.9 ? "MET" : "NOT MET"} (ingest/floor ${ofFloor.toFixed(2)}x)`,
  );
  say(
    `target: ingest >= 0.50x bare with zero non-2xx -> ${overall >= 0.5 && non2xx === 0 ? "MET" : "NOT MET"} ` +
      `(ratio ${overall.toFixed(2)}x, non-2xx/errors ${non2xx}, worst ingest p99 ${worstP99} ms vs Omisell's 3000 ms)`,
  );
  say(
    `follow-up consumer during the rounds: ${consumerCallsPerSec.toFixed(0)} Omisell order calls/s ` +
      `(it shares the worker's CPU with ingest)`,
  );

  // ---- phase 1b: duplicates, what the claim shards stored, accepted-to-readable ----
  const storedBefore = await storedEvents(worker.url);
  const duplicates = createPushSource({
    runId: ingestRunId,
    secret: SECRET,
    callbackUrl: `${worker.url}/webhooks/omisell`,
    payloadBytes: KiB,
    prefill: Math.min(ingestPushes.made, 20_000),
  });
  const dup = await measure(ingest, duplicates, SETTINGS.phaseSec);
  const storedAfter = await storedEvents(worker.url);
  const shardBytes = claimShardStorageBytes(persistTo);
  const lag = await acceptedToReadable(worker.url, 50);
  say("\n## 1b. Duplicates of accepted pushes, durable writes, accepted-to-readable");
  say(table(LOAD_HEADERS, [loadRow("duplicates (copies of round pushes)", dup)]));
  say(
    `rows stored by ${dup.total} duplicates: ${storedAfter - storedBefore} (events ${storedBefore} -> ${storedAfter}); ` +
      `duplicates/bare ${(dup.reqPerSec / (sum("bare") / rounds.length)).toFixed(2)}x`,
  );
  say(
    `claim shard Durable Object storage files: ${shardBytesAtStart} bytes after the warm-up, ${shardBytes} bytes after ` +
      `${storedAfter} accepted pushes and ${dup.total} duplicates (grew ${shardBytes - shardBytesAtStart} bytes)`,
  );
  say(
    "per accepted push: 1 durable write (the D1 insert); binding calls 3 before the 200 (claim shard begin, D1 batch " +
      "insert+read, queue send) + 1 after it (claim shard finish, in waitUntil)",
  );
  say(
    "per duplicate answered from the shard's memory: 0 durable writes, 1 binding call (begin); from D1 (shard memory " +
      "lost): 0 durable writes, 3-4 calls (begin, D1 batch, finish; a send too while the row is still received)",
  );
  say(
    `accepted-to-readable: ${lag.readableAtOnce}/${lag.count} pushes readable by the first GET /api/events/{id} after their 200 ` +
      `(that GET took p50 ${fmt(lag.p50, 1)} ms, p99 ${fmt(lag.p99, 1)} ms)`,
  );

  // ---- phase 2: follow-up drain of a real backlog ----
  // The consumer mostly keeps up during the rounds, so a backlog is built on purpose: the stand-in
  // stalls (the one batch wrangler dev runs at a time waits on it) while pushes arrive at full
  // speed, then answers after its usual latency again and the drain is timed.
  const fillRate = rounds.reduce((sum, r) => sum + r.ingest.reqPerSec, 0) / rounds.length;
  standin.setKnobs({ latencyMs: 4000 });
  await measure(ingest, ingestPushes, 3);
  await new Promise((r) => setTimeout(r, 1500));
  standin.setKnobs({ latencyMs: SETTINGS.standinLatencyMs });
  const drain = await measureDrain({
    url: worker.url,
    token: READ_TOKEN,
    standin,
    windowSec: SETTINGS.drainSec,
    signal: abort.signal,
  });
  say(
    `\n## 2. Follow-up drain of a backlog built by 3 s of pushes against a stalled stand-in (no pushes arriving while it drains; stand-in answers after ${SETTINGS.standinLatencyMs} ms)`,
  );
  say(
    table(
      ["backlog at start", "backlog at end", "seconds", "events/s", "order calls/s", "ingest fill rate req/s"],
      [
        [
          drain.backlogAtStart,
          drain.backlogAtEnd,
          fmt(drain.seconds, 1),
          fmt(drain.eventsPerSec),
          fmt(drain.orderCallsPerSec),
          fmt(fillRate),
        ],
      ],
    ),
  );
  if (drain.backlogAtStart === 0) say("no backlog to drain: the consumer kept up with the rounds");
  say(
    `concurrency: FOLLOWUP_PARALLELISM=${SETTINGS.followupParallelism} Omisell calls in flight per batch; wrangler dev ` +
      `runs one batch (max_batch_size in ${SETTINGS.wranglerConfig}) at a time; Cloudflare runs max_concurrency at once; ` +
      `drain ${fmt(drain.eventsPerSec)} events/s vs fill ${fmt(fillRate)} pushes/s -> ` +
      `${drain.eventsPerSec > fillRate ? "drains faster than ingest fills" : "ingest fills faster than the consumer drains"}`,
  );
  const batches = batchDurations(worker.logs()); // the last lines wrangler printed: mostly the drain
  if (batches.length > 0) {
    say(
      `consumer batches seen in wrangler's log: ${batches.length}, median ${median(batches.map((b) => b.size))} messages ` +
        `in ${median(batches.map((b) => b.ms))} ms (p95 ${percentile(
          batches.map((b) => b.ms),
          95,
        )} ms)`,
    );
  }

  // ---- phase 3: one push at a time, as a single Omisell sender would see it ----
  say(`\n## 3. One connection: latency of a single push (${SETTINGS.phaseSec} s each)`);
  const single = await measure(ingest, pushesFor(ingest, KiB, 2000 * SETTINGS.phaseSec), SETTINGS.phaseSec, 1);
  const singleBare = await measure(bare, pushesFor(bare, KiB, 2000 * SETTINGS.phaseSec), SETTINGS.phaseSec, 1);
  say(table(LOAD_HEADERS, [loadRow("ingest, 1 connection", single), loadRow("bare, 1 connection", singleBare)]));

  // ---- phase 4: payload size ----
  say(`\n## 4. Payload size (${SETTINGS.phaseSec} s each, ingest then bare)`);
  const sizeRows = [];
  for (const size of [1 * KiB, 64 * KiB, 200 * KiB]) {
    const count = Math.ceil((size <= KiB ? 1500 : 400) * SETTINGS.phaseSec * 1.5);
    const a = await measure(ingest, pushesFor(ingest, size, count), SETTINGS.phaseSec);
    const b = await measure(bare, pushesFor(bare, size, count), SETTINGS.phaseSec);
    sizeRows.push([
      `${size / KiB} KiB`,
      fmt(a.reqPerSec),
      fmt(a.p50),
      fmt(a.p99),
      a.non2xx + a.errors + a.timeouts,
      fmt(b.reqPerSec),
      `${(a.reqPerSec / b.reqPerSec).toFixed(2)}x`,
      fmt(a.cpuMsPerRequest.workerd, 2),
    ]);
  }
  say(
    table(
      ["payload", "ingest req/s", "p50 ms", "p99 ms", "non-2xx", "bare req/s", "ingest/bare", "workerd CPU ms/push"],
      sizeRows,
    ),
  );

  await stopWorker(worker);

  // ---- phase 5: stored events ----
  say(`\n## 5. Stored events: read API latency (${SETTINGS.querySamples} sequential requests each) and ingest`);
  const grownState = tempDir("omisell-bench-grown-");
  applyLocalMigrations(grownState, { quiet: true });
  const seedFile = join(grownState, "seed.sql");
  const growthRows = [];
  const queryColumns = [];
  const queryTable = new Map();
  let seeded = 0;
  for (const target of [1_000, 10_000, 100_000]) {
    const seedStarted = Date.now();
    writeSeedSql(seedFile, seeded, target);
    executeSqlFile(grownState, seedFile);
    const seedSeconds = (Date.now() - seedStarted) / 1000;
    seeded = target;
    const grown = await startOmisellPush(grownState, standin.url);
    // The every-minute cron, once: it rolls the seeded events up into the stats' counts.
    await fetch(`${grown.url}/__scheduled?cron=${encodeURIComponent("* * * * *")}`);
    const stored = Object.values((await readStatusCounts(grown.url, READ_TOKEN)) ?? {}).reduce((a, b) => a + b, 0);
    const queries = await timeListQueries({
      url: grown.url,
      token: READ_TOKEN,
      samples: SETTINGS.querySamples,
      now: Date.now(),
    });
    const label = `${target / 1000}k`;
    queryColumns.push(label);
    for (const q of queries) {
      const row = queryTable.get(q.name) ?? { path: q.path, cells: [] };
      row.cells.push(q.status === 200 ? `${fmt(q.p50, 1)}/${fmt(q.p95, 1)}` : `HTTP ${q.status}`);
      queryTable.set(q.name, row);
    }
    const target_ = { tag: `g${target}`, url: grown.url, worker: grown };
    await measure(target_, pushesFor(target_, KiB, 1500), 1); // a fresh worker: warm it up first
    const a = await measure(target_, pushesFor(target_, KiB, 1500 * SETTINGS.phaseSec), SETTINGS.phaseSec);
    const b = await measure(bare, pushesFor(bare, KiB, 1500 * SETTINGS.phaseSec), SETTINGS.phaseSec);
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
    await stopWorker(grown);
  }
  say(
    table(
      ["query (p50/p95 ms)", ...queryColumns.map((c) => `${c} stored`)],
      [...queryTable.entries()].map(([name, row]) => [name, ...row.cells]),
    ),
  );
  say("");
  say(
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

  // Rows read as D1 counts them, on the 100k database, through the steps worker (bench only).
  const stepsWorker = await startWorker({
    port: await freePort(),
    persistTo: grownState,
    quiet: true,
    config: "scripts/bench/wrangler.steps.toml",
  });
  cleanups.push(() => stepsWorker.stop());
  const rolled = await (await fetch(`${stepsWorker.url}/rollup`, { method: "POST" })).json();
  const statsRead = await (await fetch(`${stepsWorker.url}/rows-read/stats`)).json();
  const LIST_PAGES = [
    ["newest", ""],
    ["status=failed", "status=failed"],
    ["event=order.created", "event=order.created"],
    ["status=processed&seller_id=S7 (limit 200)", "status=processed&seller_id=S7&limit=200"],
    ["status=failed&category=shipment", "status=failed&category=shipment"],
    ["event=order.created&seller_id=S7", "event=order.created&seller_id=S7"],
    ["status=received&event=shipment.delivered&seller_id=S3", "status=received&event=shipment.delivered&seller_id=S3"],
  ];
  const listRead = [];
  for (const [name, query] of LIST_PAGES) {
    const r = await (await fetch(`${stepsWorker.url}/rows-read/list?${query}`)).json();
    const limit = Number(new URLSearchParams(query).get("limit") ?? 50);
    listRead.push([name, limit, r.rows, r.current, r.previous, `${(r.current / limit).toFixed(1)}x`]);
  }
  await stopWorker(stepsWorker);
  say(
    `\n## 5b. Rows read (D1 meta.rows_read) on ${seeded / 1000}k stored events (rollup caught up ${rolled.rolled} events first)`,
  );
  say(
    table(
      ["read", "rows now", "rows, previous statements"],
      [["GET /api/stats (one call, all statements)", statsRead.current, statsRead.previous]],
    ),
  );
  say("");
  say(table(["list page", "limit", "rows returned", "rows read now", "rows read before", "now / limit"], listRead));

  say(`\n## 6. Query plans on ${seeded / 1000}k stored events (EXPLAIN QUERY PLAN of the statements the worker runs)`);
  const plans = await explainListQueries(grownState);
  say(
    table(
      ["statement", "reads", "plan"],
      plans.map((p) => [p.name, p.reads ?? "?", p.plan]),
    ),
  );
  const scans = plans.filter((p) => p.fullScan).length;
  if (plans.some((p) => p.fullScan === null)) say("query plans could not be checked");
  else {
    const wholeIndex = plans.filter((p) => p.reads === "whole index").map((p) => p.name);
    say(scans === 0 ? "no statement scans the events table" : `${scans} statement(s) scan the whole table`);
    if (wholeIndex.length) say(`reading a whole index (cost grows with stored events): ${wholeIndex.join(", ")}`);
  }

  say(`\nbench finished in ${((Date.now() - started) / 1000).toFixed(0)} s`);
  say(
    `SUMMARY ingest/bare ${overall.toFixed(2)}x (rounds ${perRound.map((r) => r.toFixed(2)).join(", ")}), ` +
      `floor/bare ${floorOfBare.toFixed(2)}x, ingest/floor ${ofFloor.toFixed(2)}x, ` +
      `non-2xx ${non2xx}, ingest p99 <= ${worstP99} ms, drain ${fmt(drain.eventsPerSec)} events/s vs fill ${fmt(fillRate)} /s, ` +
      `stats rows read ${statsRead.current} (before ${statsRead.previous}), ` +
      `list rows read max ${Math.max(...listRead.map((r) => r[3]))}`,
  );
  return {
    settings: SETTINGS,
    rounds,
    perRound,
    overall,
    floorOfBare,
    ofFloor,
    non2xx,
    duplicates: { ...dup, stored: storedAfter - storedBefore },
    shardBytes: { atStart: shardBytesAtStart, atEnd: shardBytes },
    lag,
    drain,
    fillRate,
    statsRead,
    listRead,
    plans,
  };
}

/** `npm run bench -- --scenario budget`: the Omisell budget scenario alone (scripts/bench/budget.mjs). */
const scenarioAt = process.argv.indexOf("--scenario");
const scenario = scenarioAt >= 0 ? process.argv[scenarioAt + 1] : "main";
if (scenario !== "main" && scenario !== "budget") {
  console.error(`unknown scenario "${scenario}": main (default) or budget`);
  process.exit(2);
}

try {
  if (scenario === "budget") {
    const { runBudgetScenario } = await import("./bench/budget.mjs");
    const result = await runBudgetScenario(say);
    mkdirSync(join(ROOT, ".bench"), { recursive: true });
    writeFileSync(join(ROOT, ".bench", "budget-run.json"), JSON.stringify(result, null, 2));
    await cleanUp();
    process.exit(0);
  }
  const results = await main();
  const outDir = join(ROOT, ".bench");
  mkdirSync(outDir, { recursive: true });
  writeFileSync(join(outDir, "last-run.txt"), `${outputLines.join("\n")}\n`);
  writeFileSync(join(outDir, "last-run.json"), JSON.stringify(results, null, 2));
  console.log(`\n(report saved to .bench/last-run.txt)`);
  await cleanUp();
  process.exit(0);
} catch (err) {
  console.error(`bench failed: ${err.stack ?? err}`);
  await cleanUp();
  process.exit(1);
}
