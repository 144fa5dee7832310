/**
 * `npm run reconcile -- [--url http://localhost:8787] [--token dev-admin-token] [--minutes 60]`:
 * asks a running omisell-push to reconcile the last N minutes now (`POST /api/reconcile` with an
 * admin token, body {from, to} in ms), then polls `GET /api/reconcile/runs` until that run is done
 * and prints how many order changes Omisell listed and how many of them no push had told about.
 * The worker lists the run from its every-minute cron (`npm start` triggers it once a minute), so
 * expect up to a minute before it starts; a long range prints its progress.
 * Exit code 0 when the run is done, 1 when it failed or did not finish within --timeout seconds (120).
 * Options: --interval seconds between polls (1).
 */
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { workerBase } from "./lib/worker-url.ts";

/** A reconciliation run as `GET /api/reconcile/runs` lists it (the fields this script reads). */
export type Run = {
  id: string | number;
  status: string;
  orders_listed?: number;
  missed?: number;
  error?: string | null;
  listed_to?: number | null;
};

/** A field of a JSON object, or undefined. */
const field = (body: unknown, name: string): unknown =>
  body !== null && typeof body === "object" ? (body as Record<string, unknown>)[name] : undefined;

/** The runs of `GET /api/reconcile/runs`, whether listed bare or under `runs`. */
function runsOf(body: unknown): Run[] {
  const runs = Array.isArray(body) ? body : field(body, "runs");
  if (Array.isArray(runs)) return runs;
  throw new Error(`GET /api/reconcile/runs answered without a list of runs: ${JSON.stringify(body).slice(0, 200)}`);
}

/** The JSON (or text) of an answer; throws, with what the worker said, unless it is 2xx. */
async function answer(res: Response, what: string): Promise<unknown> {
  const text = await res.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON: shown as text below
  }
  if (!res.ok)
    throw new Error(`${what} answered ${res.status}: ${typeof body === "string" ? body : JSON.stringify(body)}`);
  return body;
}

export type ReconcileOptions = {
  url: string;
  token: string;
  minutes?: number;
  intervalMs?: number;
  timeoutMs?: number;
  now?: () => number;
  log?: (line: string) => void;
};

/** Starts a reconciliation of [now − minutes, now] and waits for its run to end; returns the finished run. */
export async function reconcile({
  url,
  token,
  minutes = 60,
  intervalMs = 1000,
  timeoutMs = 120_000,
  now = Date.now,
  log = console.log,
}: ReconcileOptions): Promise<Run> {
  const base = workerBase(url);
  const headers = { authorization: `Bearer ${token}`, "content-type": "application/json" };
  const to = now();
  const from = to - minutes * 60_000;
  const started = await answer(
    await fetch(`${base}/api/reconcile`, { method: "POST", headers, body: JSON.stringify({ from, to }) }),
    "POST /api/reconcile",
  );
  const runId = field(started, "run_id");
  if (runId === undefined || runId === null) throw new Error("POST /api/reconcile answered without a run_id");
  log(
    `reconciling ${new Date(from).toISOString()} .. ${new Date(to).toISOString()} (run ${runId}; the worker's cron lists it within a minute)`,
  );

  const deadline = Date.now() + timeoutMs;
  let progress: number | null | undefined;
  for (;;) {
    // A page of 200: periodic runs started meanwhile (up to 8 a minute while catching up) cannot push it off.
    const runs = runsOf(
      await answer(await fetch(`${base}/api/reconcile/runs?limit=200`, { headers }), "GET /api/reconcile/runs"),
    );
    const run = runs.find((r) => String(r.id) === String(runId));
    if (run && run.status !== "running") return run;
    if (run?.listed_to && run.listed_to !== progress) {
      progress = run.listed_to;
      log(`  listed up to ${new Date(progress).toISOString()}`);
    }
    if (Date.now() + intervalMs > deadline) {
      throw new Error(
        `run ${runId} not finished after ${Math.round(timeoutMs / 1000)} s (${run ? run.status : "not listed yet"})`,
      );
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { values: args } = parseArgs({
    options: {
      url: { type: "string", default: "http://localhost:8787" },
      token: { type: "string", default: "dev-admin-token" },
      minutes: { type: "string", default: "60" },
      interval: { type: "string", default: "1" },
      timeout: { type: "string", default: "120" },
    },
  });
  const minutes = Number(args.minutes);
  if (!(minutes > 0) || minutes > 15 * 24 * 60) {
    console.error("--minutes must be more than 0 and at most 15 days (21600)");
    process.exit(2);
  }
  try {
    const run = await reconcile({
      url: args.url,
      token: args.token,
      minutes,
      intervalMs: Number(args.interval) * 1000,
      timeoutMs: Number(args.timeout) * 1000,
    });
    console.log(
      `run ${run.id} ${run.status}: ${run.orders_listed ?? "?"} order changes listed, ${run.missed ?? "?"} missed (no push)` +
        (run.error ? `; error: ${run.error}` : ""),
    );
    process.exit(run.status === "done" ? 0 : 1);
  } catch (err) {
    console.error(err instanceof Error ? err.message : String(err));
    process.exit(1);
  }
}
