/** Manual reconciliation runs (`POST /api/reconcile`): recorded at once, listed by the cron window by window. */
import { describeError } from "../errors";
import { newUlid } from "../lib/ids";
import { log } from "../lib/log";
import {
  endManualRun,
  listRunningManualRuns,
  type ReconcileRun,
  recordManualProgress,
  startRun,
} from "../store/reconcile";
import { fillGaps } from "./gaps";
import { emptyTally, listWindows, type ReconcileDeps, type Tally } from "./run";
import { checkManualRange, splitIntoWindows } from "./windows";

/** Windows listed per invocation over all manual runs: 12 hours of range a minute. */
export const MANUAL_WINDOWS_PER_INVOCATION = 12;
/** Running manual runs looked at per invocation (the rest wait for the next one). */
const MANUAL_RUNS_PER_INVOCATION = 5;

export type ManualStep = { runId: string; windows: number; status: "running" | "done" | "failed" };

/**
 * Records a manual run of [from, to] as `running` and returns its id; the cron lists it.
 * Throws a RangeError when the range cannot be listed (checkManualRange).
 */
export async function startManualRun(env: Env, fromMs: number, toMs: number, now: number): Promise<string> {
  const problem = checkManualRange(fromMs, toMs, now);
  if (problem !== null) throw new RangeError(problem);
  const id = newUlid(now);
  await startRun(env.DB, { id, trigger: "manual", window_from: fromMs, window_to: toMs, started_at: now });
  log("info", "reconcile_manual_started", { run_id: id, from: fromMs, to: toMs });
  return id;
}

/** Lists up to `budget` more windows of one run; the step taken. */
async function advanceRun(
  env: Env,
  deps: ReconcileDeps,
  run: ReconcileRun,
  budget: number,
  now: number,
): Promise<ManualStep> {
  const clock = deps.clock ?? Date.now;
  let listedTo = run.listed_to;
  const windows = splitIntoWindows(listedTo ?? run.window_from, run.window_to, budget);
  let listed = 0;
  for (const window of windows) {
    const tally: Tally = emptyTally();
    const error = await listWindows(env, deps, [window], now, tally);
    listed += 1;
    if (error !== null) {
      await endManualRun(env.DB, run.id, { status: "failed", error, finishedAt: Math.max(now, clock()), ...tally });
      log("error", "reconcile_run_failed", { run_id: run.id, trigger: "manual", ...window, error });
      return { runId: run.id, windows: listed, status: "failed" };
    }
    const step = { previous: listedTo, listedTo: window.toMs, ...tally };
    // Another invocation recorded this window first: it carries the run on from here.
    if (!(await recordManualProgress(env.DB, run.id, step)))
      return { runId: run.id, windows: listed, status: "running" };
    listedTo = window.toMs;
    // Everything from the run's start to here is listed: the gaps inside are filled.
    await fillGaps(env.DB, { fromMs: run.window_from, toMs: listedTo }, run.id, Math.max(now, clock()));
  }
  if (listedTo !== null && listedTo >= run.window_to) {
    const zero = { ordersListed: 0, missed: 0, skippedRows: 0, skippedSamples: [] };
    await endManualRun(env.DB, run.id, { status: "done", error: null, finishedAt: Math.max(now, clock()), ...zero });
    log("info", "reconcile_run_done", { run_id: run.id, trigger: "manual", from: run.window_from, to: run.window_to });
    return { runId: run.id, windows: listed, status: "done" };
  }
  return { runId: run.id, windows: listed, status: "running" };
}

/**
 * The cron's step for manual runs: the next windows of the running ones, oldest first, at most
 * MANUAL_WINDOWS_PER_INVOCATION in all. A range of 15 days is 360 windows, more than one invocation
 * (or one request) should hold, so a run's progress (`listed_to`) is kept in D1 after each window
 * and the next invocation continues from there; the checkpoint never moves for a manual run. A run
 * whose range is listed ends `done`; a failed window ends it `failed` with the error (ask again for
 * the range: nothing is stored twice). Two invocations advancing the same run at once list the same
 * window twice: the events are deduplicated by key, and the window's counts are added only by the
 * invocation that records its progress first.
 */
export async function advanceManualRuns(
  env: Env,
  deps: ReconcileDeps,
  now: number,
  budget = MANUAL_WINDOWS_PER_INVOCATION,
): Promise<ManualStep[]> {
  const steps: ManualStep[] = [];
  let left = budget;
  for (const run of await listRunningManualRuns(env.DB, MANUAL_RUNS_PER_INVOCATION)) {
    if (left <= 0) break;
    try {
      const step = await advanceRun(env, deps, run, left, now);
      left -= step.windows;
      steps.push(step);
    } catch (err) {
      // D1 failed while recording: the run stays `running` and is continued next time.
      log("error", "reconcile_manual_step_failed", { run_id: run.id, error: describeError(err) });
      break;
    }
  }
  return steps;
}
