/**
 * What every bench scenario runs on: the settings (flags over environment knobs), the report it
 * prints and records, clean-ups that run whatever happens, and the local stack's pieces (workers,
 * the Omisell stand-in, signed push sources, load runs with their CPU cost).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { cpus, tmpdir, totalmem } from "node:os";
import { join } from "node:path";
import { freePort, type LocalWorker, type StartWorkerOptions, startWorker, wrangler } from "../lib/local-stack.ts";
import { type OmisellStandin, type StandinOptions, startOmisellStandin } from "../omisell-standin.ts";
import { type CpuByName, cpuByName, cpuPerRequest } from "./cpu.ts";
import { type LoadResult, runLoad } from "./load.ts";
import { createPushSource, type PushSource } from "./pushes.ts";
import { type Cell, fmt } from "./report.ts";
import type { BenchSettings } from "./settings.ts";

/** A worker under load: a short tag (part of its pushes' run id), its URL and its process. */
export type Target = { tag: string; url: string; worker: LocalWorker };

/** How a load run sends: how many connections, to which path (with its query). */
export type LoadShape = { connections?: number; path?: string };

/** A load run with the CPU it cost per request, by process name. */
export type Measured = LoadResult & { cpuMsPerRequest: CpuByName };

export const KiB = 1024;
export const PUSH_SECRET = "bench-push-secret";
export const READ_TOKEN = "bench-read-token";

export type Bench = {
  readonly settings: BenchSettings;
  /** Part of every push's run id: pushes of two runs never collide. */
  readonly runId: string;
  /** Aborted on Ctrl-C or at the deadline: load runs stop early. */
  readonly signal: AbortSignal;
  /** Prints a line and keeps it for the report file. */
  say(text?: string): void;
  /** Every line said so far. */
  lines(): readonly string[];
  /** Runs `fn` at the end of the run (last registered first), also on error, Ctrl-C or the deadline. */
  onCleanup(fn: () => unknown): void;
  /** Runs the clean-ups now; a failing one is reported and the others still run. */
  cleanUp(): Promise<void>;
  /** A fresh folder under the system's temp folder, removed at the end. */
  tempDir(prefix: string): string;
  /** `wrangler dev` with quiet output, stopped at the end. */
  startWorker(options: StartWorkerOptions): Promise<LocalWorker>;
  /** omisell-push as `npm start` runs it, with the bench's secrets, on `persistTo`, fetching from `standinUrl`. */
  startOmisellPush(persistTo: string, standinUrl: string): Promise<LocalWorker>;
  /** Stops a worker before the end of the run (to seed its database, say). */
  stopWorker(worker: LocalWorker): Promise<void>;
  /** The Omisell stand-in on a free port, closed at the end. */
  startStandin(options?: StandinOptions): Promise<OmisellStandin>;
  /** Signed unique pushes for one target; the callback URL is the exact URL that target sees. */
  pushesFor(target: Target, payloadBytes: number, expected: number): PushSource;
  /**
   * One load run against one target, with the CPU it cost per request in workerd and wrangler:
   * `connections` (the settings' by default) POST to `path` (the push route by default).
   */
  measure(target: Target, source: PushSource, durationSec: number, options?: LoadShape): Promise<Measured>;
};

export function createBench(settings: BenchSettings, print: (line: string) => void = console.log): Bench {
  const runId = Date.now().toString(36).slice(-6);
  const abort = new AbortController();
  const output: string[] = [];
  const cleanups: (() => unknown)[] = [];
  const stoppers = new Map<LocalWorker, () => Promise<void>>();
  let sources = 0;

  const bench: Bench = {
    settings,
    runId,
    signal: abort.signal,
    say(text = "") {
      print(text);
      output.push(text);
    },
    lines: () => output,
    onCleanup(fn) {
      cleanups.push(fn);
    },
    async cleanUp() {
      abort.abort();
      for (let cleanup = cleanups.pop(); cleanup; cleanup = cleanups.pop()) {
        try {
          await cleanup();
        } catch (err) {
          console.error(`cleanup: ${err instanceof Error ? err.message : err}`);
        }
      }
    },
    tempDir(prefix) {
      const dir = mkdtempSync(join(tmpdir(), prefix));
      cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
      return dir;
    },
    async startWorker(options) {
      // The signal kills a worker still starting when the run is stopped (Ctrl-C, deadline).
      const worker = await startWorker({ port: await freePort(), quiet: true, signal: abort.signal, ...options });
      const stop = () => worker.stop();
      stoppers.set(worker, stop);
      cleanups.push(stop);
      return worker;
    },
    startOmisellPush(persistTo, standinUrl) {
      return bench.startWorker({
        persistTo,
        config: settings.wranglerConfig,
        vars: {
          OMISELL_PUSH_SECRET: PUSH_SECRET,
          READ_API_TOKENS: READ_TOKEN,
          ADMIN_API_TOKENS: "bench-admin-token",
          OMISELL_API_BASE: standinUrl,
          OMISELL_AUTH_MODE: "account",
          OMISELL_ACCOUNT_KEY: "bench-account-key",
          // The stand-in has no budget to protect: the bench measures our drain, not Omisell's 100/60.
          OMISELL_RATE_LIMIT: "1000000/60",
          FOLLOWUP_PARALLELISM: String(settings.followupParallelism),
        },
      });
    },
    async stopWorker(worker) {
      const stop = stoppers.get(worker);
      const index = stop ? cleanups.lastIndexOf(stop) : -1;
      if (index >= 0) cleanups.splice(index, 1);
      stoppers.delete(worker);
      await worker.stop();
    },
    async startStandin(options = {}) {
      const standin = await startOmisellStandin({ port: 0, ...options });
      cleanups.push(() => standin.close());
      return standin;
    },
    pushesFor(target, payloadBytes, expected) {
      sources += 1;
      return createPushSource({
        runId: `${runId}${target.tag}s${sources}`,
        secret: PUSH_SECRET,
        callbackUrl: `${target.url}/webhooks/omisell`,
        payloadBytes,
        prefill: expected,
      });
    },
    async measure(target, source, durationSec, { connections = settings.connections, path } = {}) {
      const pid = target.worker.child.pid;
      const before = cpuByName(pid);
      const result = await runLoad({ url: target.url, path, source, connections, durationSec, signal: abort.signal });
      const measured = { ...result, cpuMsPerRequest: cpuPerRequest(before, cpuByName(pid), result.total) };
      if (abort.signal.aborted) throw new Error("aborted");
      return measured;
    },
  };
  return bench;
}

/** The columns of `loadRow`. */
export const LOAD_HEADERS = ["run", "req/s", "p50 ms", "p99 ms", "non-2xx", "errors", "CPU ms per request"];

/** One load run as a table row under `LOAD_HEADERS`. */
export function loadRow(label: string, r: Measured): Cell[] {
  const cpu = Object.entries(r.cpuMsPerRequest)
    .map(([name, ms]) => `${name} ${ms.toFixed(2)}`)
    .join(", ");
  return [label, fmt(r.reqPerSec), fmt(r.p50), fmt(r.p99), r.non2xx, r.errors + r.timeouts, cpu];
}

/** The workerd that wrangler runs (wrangler may carry its own copy, newer than the top-level one). */
function workerdVersion(): string {
  const fromWrangler = createRequire(createRequire(import.meta.url).resolve("wrangler/package.json"));
  try {
    return (fromWrangler("workerd/package.json") as { version: string }).version;
  } catch {
    return "unknown";
  }
}

/** The machine and versions a report was made on, one per line. */
export function describeMachine(): string {
  const versions = wrangler(["--version"], { stdio: "pipe" }).stdout.trim().split("\n").pop();
  return [
    `cpus: ${cpus().length} x ${cpus()[0]?.model ?? "?"}`,
    `memory: ${(totalmem() / 2 ** 30).toFixed(1)} GiB`,
    `node: ${process.version}`,
    `wrangler: ${versions}, workerd: ${workerdVersion()}, autocannon: 8 (in-process, pre-signed bodies)`,
  ].join("\n");
}

/** A bench scenario: `npm run bench -- --scenario <name>` runs it on a fresh stack. */
export type Scenario = {
  /** One line for `--help`. */
  summary: string;
  /** Knobs of its own (environment variables), for `--help`. */
  knobs?: string;
  /** The report's name: `.bench/<report>.txt` (every line said) and `.bench/<report>.json` (what `run` returns). */
  report: string;
  /** A scenario that runs longer than the settings' deadline says how long it needs at least. */
  minDeadlineMs?: number;
  run(bench: Bench): Promise<object>;
};

/** The report's opening lines: what was measured, on what machine, with which settings. */
export function sayHeader(bench: Bench): void {
  const s = bench.settings;
  bench.say("omisell-push benchmark");
  bench.say(describeMachine());
  bench.say(
    `settings: ${s.wranglerConfig}, ${s.connections} connections, rounds of ${s.roundSec} s x ${s.rounds} (A B C A B C), ` +
      `${s.warmupSec} s warm-up, stand-in latency ${s.standinLatencyMs} ms, all on 127.0.0.1`,
  );
}
