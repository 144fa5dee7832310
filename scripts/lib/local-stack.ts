/**
 * Starts omisell-push locally the way `npm start` does: .dev.vars from the example when missing,
 * D1 migrations applied to local state, the Omisell stand-in, then `wrangler dev` on loopback.
 * Used by `npm start`, the end-to-end tests and the benchmark, so all three run the same thing.
 */
import { type ChildProcess, type SpawnSyncReturns, spawn, spawnSync } from "node:child_process";
import { copyFileSync, existsSync } from "node:fs";
import { createRequire } from "node:module";
import { type AddressInfo, createServer } from "node:net";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const require = createRequire(import.meta.url);
const WRANGLER = join(dirname(require.resolve("wrangler/package.json")), "bin", "wrangler.js");

/** Quiet, reproducible wrangler: no telemetry, no update checks. */
export const WRANGLER_ENV: NodeJS.ProcessEnv = {
  ...process.env,
  WRANGLER_SEND_METRICS: "false",
  NO_UPDATE_NOTIFIER: "1",
  CI: process.env.CI ?? "",
};

export type WranglerOptions = {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** `inherit` (default) prints wrangler's output; `pipe` keeps it in the result's stdout/stderr. */
  stdio?: "inherit" | "pipe";
};

/** A `wrangler dev` started by `startWorker`. */
export type LocalWorker = {
  url: string;
  child: ChildProcess;
  /** The last lines wrangler printed (quiet workers only). */
  logs(): string;
  stop(): Promise<void>;
};

export type StartWorkerOptions = {
  port?: number;
  /** The folder of local state (D1, Durable Objects); wrangler's own `.wrangler/state` when left out. */
  persistTo?: string;
  vars?: Record<string, string>;
  config?: string;
  /** wrangler's output is kept (for `logs()` and an early exit's error), not printed. */
  quiet?: boolean;
  /** wrangler's output, chunk by chunk, for a caller that prints some of it (`npm start`); implies `quiet`. */
  onOutput?: (chunk: string) => void;
  extraArgs?: string[];
  /** Stops a start still under way: wrangler (and all it started) is killed and the start rejects. */
  signal?: AbortSignal;
};

export function ensureDevVars(): void {
  const target = join(ROOT, ".dev.vars");
  if (!existsSync(target)) {
    copyFileSync(join(ROOT, ".dev.vars.example"), target);
    console.log("created .dev.vars from .dev.vars.example (local development secrets)");
  }
}

/** Runs wrangler to the end, with the project's Node and quiet settings. */
export function wrangler(args: string[], options: WranglerOptions = {}): SpawnSyncReturns<string> {
  return spawnSync(process.execPath, [WRANGLER, ...args], {
    cwd: options.cwd ?? ROOT,
    env: { ...WRANGLER_ENV, ...options.env },
    stdio: options.stdio ?? "inherit",
    encoding: "utf8",
  });
}

/** Applies the migrations to local D1; quiet, it returns wrangler's output instead of printing it. */
export function applyLocalMigrations(persistTo?: string, options: { quiet?: boolean } = {}): string {
  const args = ["d1", "migrations", "apply", "DB", "--local"];
  if (persistTo) args.push("--persist-to", persistTo);
  const result = wrangler(args, { stdio: options.quiet ? "pipe" : "inherit" });
  if (result.status !== 0) {
    throw new Error(`applying migrations failed:\n${result.stdout ?? ""}${result.stderr ?? ""}`);
  }
  return `${result.stdout ?? ""}${result.stderr ?? ""}`;
}

/** Runs the SQL file `sqlFile` on the local D1 at `persistTo` (a database seeded before a worker starts). */
export function executeLocalSqlFile(persistTo: string, sqlFile: string): void {
  const args = ["d1", "execute", "DB", "--local", "--persist-to", persistTo, "--file", sqlFile, "--yes"];
  const result = wrangler(args, { stdio: "pipe" });
  if (result.status !== 0)
    throw new Error(`executing ${sqlFile} failed:\n${result.stdout ?? ""}${result.stderr ?? ""}`);
}

/** The rows one SELECT returns from the local D1 at `persistTo`. */
export function queryLocalD1<T>(persistTo: string, sql: string): T[] {
  const args = ["d1", "execute", "DB", "--local", "--persist-to", persistTo, "--command", sql, "--json"];
  const result = wrangler(args, { stdio: "pipe" });
  if (result.status !== 0) throw new Error(`query failed:\n${result.stdout ?? ""}${result.stderr ?? ""}`);
  const answers = JSON.parse(result.stdout) as { results: T[] }[];
  return answers[0]?.results ?? [];
}

export async function waitForHealth(url: string, timeoutMs = 60_000, signal?: AbortSignal): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError = "no answer";
  while (Date.now() < deadline && !signal?.aborted) {
    try {
      const res = await fetch(`${url}/health`);
      if (res.ok) return;
      lastError = `HTTP ${res.status}`;
    } catch (err) {
      lastError = err instanceof Error ? err.message : String(err);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`worker at ${url} not healthy after ${timeoutMs} ms: ${lastError}`);
}

/** Starts `wrangler dev` and resolves once it answers /health. `vars` become `--var KEY:VALUE` (they override .dev.vars and wrangler.toml). */
export async function startWorker({
  port = 8787,
  persistTo,
  vars = {},
  config = "wrangler.toml",
  quiet = false,
  onOutput,
  extraArgs = [],
  signal,
}: StartWorkerOptions = {}): Promise<LocalWorker> {
  const piped = quiet || onOutput !== undefined;
  signal?.throwIfAborted();
  const args = [
    "dev",
    "--config",
    config,
    "--ip",
    "127.0.0.1",
    "--port",
    String(port),
    "--inspector-port",
    "0",
    "--show-interactive-dev-session=false",
    "--test-scheduled",
    ...extraArgs,
  ];
  if (persistTo) args.push("--persist-to", persistTo);
  for (const [key, value] of Object.entries(vars)) args.push("--var", `${key}:${value}`);
  const child = spawn(process.execPath, [WRANGLER, ...args], {
    cwd: ROOT,
    env: WRANGLER_ENV,
    stdio: piped ? ["ignore", "pipe", "pipe"] : ["ignore", "inherit", "inherit"],
    detached: process.platform !== "win32",
  });
  const output: string[] = [];
  if (piped) {
    const keep = (chunk: Buffer) => {
      const text = chunk.toString();
      output.push(text);
      if (output.length > 200) output.shift();
      onOutput?.(text);
    };
    child.stdout?.on("data", keep);
    child.stderr?.on("data", keep);
  }
  const exited = new Promise<number | null>((resolveExit) => child.once("exit", resolveExit));
  const url = `http://127.0.0.1:${port}`;
  let onAbort = () => {};
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => reject(new Error(`start of wrangler dev on ${url} aborted`));
    signal?.addEventListener("abort", onAbort, { once: true });
  });
  try {
    await Promise.race([
      waitForHealth(url, 60_000, signal),
      exited.then((code) => {
        throw new Error(`wrangler dev exited early (${code}):\n${output.join("")}`);
      }),
      aborted,
    ]);
  } catch (err) {
    killTree(child);
    throw err;
  } finally {
    signal?.removeEventListener("abort", onAbort);
  }
  return {
    url,
    child,
    logs: () => output.join(""),
    async stop() {
      if (child.exitCode !== null) return;
      killTree(child, "SIGTERM");
      const timer = setTimeout(() => killTree(child, "SIGKILL"), 5000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Signals wrangler and everything it started (workerd, esbuild): it runs in its own process group. */
function killTree(child: ChildProcess, signal: NodeJS.Signals = "SIGKILL"): void {
  try {
    if (process.platform !== "win32" && child.pid !== undefined) process.kill(-child.pid, signal);
    else child.kill(signal);
  } catch {
    // already gone
  }
}

/** A TCP port nobody listens on right now (loopback). */
export async function freePort(): Promise<number> {
  return await new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolvePort(port));
    });
  });
}
