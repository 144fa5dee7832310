/** Reconciliation runs of the cron: list a window, store the changes no push told us about, follow them up. */
import { readConfig } from "../config";
import { describeError } from "../errors";
import { enqueueFollowups, type FollowupReason } from "../followup/message";
import { encodeIdTime, newUlid } from "../lib/ids";
import { log } from "../lib/log";
import { type ListOrdersCall, type OrderChange, type SkippedRow, walkOrderList } from "../omisell/order-list-walk";
import {
  failAbandonedRuns,
  finishRun,
  insertReconciledEvents,
  latestCronRunStartedAt,
  latestPushReceivedAt,
  startRun,
} from "../store/reconcile";
import { advanceCheckpoint, getCheckpoint } from "../store/reconcile-progress";
import { MAX_WINDOW_FAILURES, skipIfFailedThrice } from "./gaps";
import { missedChanges, RECONCILE_EVENT, reconcileDedupeKey } from "./missed";
import { ABANDONED_RUN_MS, isReconcileDue, planCronWindows, type TimeWindow } from "./windows";

/** A reconciled event's follow-up takes reconciliation's place in the Omisell budget: after pushes, before replays. */
const FOLLOWUP_REASON: FollowupReason = "reconcile";

export type ReconcileDeps = {
  /** Omisell's order list call (through the rate limiter at the `reconcile` priority). */
  listOrders: ListOrdersCall;
  /** Clock for the times recorded; defaults to Date.now. */
  clock?: () => number;
  /** Safety stop per window; defaults to MAX_PAGES_PER_WINDOW. */
  maxPagesPerWindow?: number;
};

export type RunOutcome = {
  runId: string;
  /** From the first planned window's start to the last one's end. */
  window: TimeWindow;
  /** Windows listed to the end (all of them when `done`). */
  windowsListed: number;
  status: "done" | "failed";
  ordersListed: number;
  missed: number;
  /** Events this run added (a change already stored by an earlier run is missed but not added). */
  added: number;
  skippedRows: number;
  error: string | null;
  /** The window failed for the third time and was skipped: recorded as a gap, the checkpoint moved past it. */
  skipped?: true;
};

export type CronOutcome = { ran: false; reason: "off" | "not_due" | "nothing_new" } | { ran: true; run: RunOutcome };

/** What a run's windows listed: changes, missed ones, events added, and the rows that could not be read. */
export type Tally = {
  ordersListed: number;
  missed: number;
  added: number;
  skippedRows: number;
  /** The first few unreadable rows (SKIPPED_SAMPLES), for the run's record. */
  skippedSamples: SkippedRow[];
};

/** Unreadable rows kept per run, beyond the count. */
export const SKIPPED_SAMPLES = 5;
/** A window past the page cap is halved while its halves are at least this long. */
export const MIN_SPLIT_WINDOW_MS = 60_000;

export function emptyTally(): Tally {
  return { ordersListed: 0, missed: 0, added: 0, skippedRows: 0, skippedSamples: [] };
}

/** One page: which changes no push covered, stored (once) and sent to the follow-up queue. */
async function handlePage(
  env: Env,
  changes: OrderChange[],
  skipped: SkippedRow[],
  receivedAt: number,
  tally: Tally,
): Promise<void> {
  tally.skippedRows += skipped.length;
  tally.skippedSamples.push(...skipped.slice(0, SKIPPED_SAMPLES - tally.skippedSamples.length));
  if (skipped.length > 0) log("warn", "reconcile_rows_skipped", { rows: skipped.length, first: skipped[0] });
  const orderNumbers = [...new Set(changes.map((change) => change.omisellOrderNumber))];
  const latest = await latestPushReceivedAt(env.DB, orderNumbers);
  const missed = missedChanges(changes, latest);
  const ids = await insertReconciledEvents(
    env.DB,
    missed.map((change) => ({
      id: newUlid(receivedAt),
      dedupe_key: reconcileDedupeKey(change),
      event: RECONCILE_EVENT,
      order_number: change.omisellOrderNumber,
      received_at: receivedAt,
      payload: JSON.stringify(change.header),
    })),
  );
  // Stored before sent: if the send fails, the sweeper re-enqueues these `received` events.
  if (ids.length > 0) await enqueueFollowups(env.FOLLOWUPS, ids, FOLLOWUP_REASON);
  tally.ordersListed += changes.length;
  tally.missed += missed.length;
  tally.added += ids.length;
}

/**
 * Lists one window into the tally. A window with more pages than the walk may read is listed again
 * as two halves, each halved again while it is too long, down to halves of MIN_SPLIT_WINDOW_MS:
 * Omisell pages by count, so a shorter window has fewer pages. Returns the failure, or null.
 */
async function listWindow(
  env: Env,
  deps: ReconcileDeps,
  window: TimeWindow,
  receivedAt: number,
  tally: Tally,
): Promise<string | null> {
  const before = { ...tally, skippedSamples: [...tally.skippedSamples] };
  const walk = await walkOrderList(
    deps.listOrders,
    window,
    (changes, skipped) => handlePage(env, changes, skipped, receivedAt, tally),
    deps.maxPagesPerWindow,
  );
  if (walk.ok) return null;
  const span = window.toMs - window.fromMs;
  if (!walk.pageCap || span < 2 * MIN_SPLIT_WINDOW_MS) return walk.error;
  // The halves list these pages again: count them once (the events they added stay added).
  Object.assign(tally, { ...before, added: tally.added });
  const middle = window.fromMs + Math.floor(span / 2);
  log("info", "reconcile_window_split", { from: window.fromMs, to: window.toMs, at: middle });
  const first = await listWindow(env, deps, { fromMs: window.fromMs, toMs: middle }, receivedAt, tally);
  if (first !== null) return first;
  return listWindow(env, deps, { fromMs: middle, toMs: window.toMs }, receivedAt, tally);
}

/** Lists the windows in order into one tally; the first failure stops (thrown errors included). */
export async function listWindows(
  env: Env,
  deps: ReconcileDeps,
  windows: TimeWindow[],
  receivedAt: number,
  tally: Tally,
): Promise<string | null> {
  for (const window of windows) {
    try {
      const error = await listWindow(env, deps, window, receivedAt, tally);
      if (error !== null) return error;
    } catch (err) {
      return describeError(err);
    }
  }
  return null;
}

type CronRun = {
  id: string;
  window: TimeWindow;
  startedAt: number;
  windowsListed: number;
  listedTo: number | null;
  /** The note of a first window skipped as a gap (the run's `error`, though it is `done`). */
  skipped: string | null;
};

async function finish(
  env: Env,
  deps: ReconcileDeps,
  run: CronRun,
  tally: Tally,
  failure: string | null,
): Promise<RunOutcome> {
  const clock = deps.clock ?? Date.now;
  const status = failure === null ? "done" : "failed";
  const error = failure ?? run.skipped;
  await finishRun(env.DB, run.id, {
    status,
    ordersListed: tally.ordersListed,
    missed: tally.missed,
    skippedRows: tally.skippedRows,
    skippedSamples: tally.skippedSamples,
    error,
    finishedAt: Math.max(run.startedAt, clock()),
    listedTo: run.listedTo,
  });
  const { skippedSamples: _samples, ...counts } = tally;
  const fields = { run_id: run.id, trigger: "cron", from: run.window.fromMs, to: run.window.toMs, ...counts };
  if (failure === null) log(tally.missed > 0 || error ? "warn" : "info", "reconcile_run_done", { ...fields, error });
  else log("error", "reconcile_run_failed", { ...fields, error });
  return {
    runId: run.id,
    window: run.window,
    windowsListed: run.windowsListed,
    status,
    ...counts,
    error,
    ...(run.skipped === null ? {} : { skipped: true as const }),
  };
}

const isoMinute = (ms: number) => new Date(ms).toISOString().slice(0, 16);

/**
 * The cron's step, called every minute: nothing when reconciliation is off or not yet due;
 * otherwise the planned windows from the checkpoint on, oldest first, as ONE recorded run (a
 * catch-up after an outage lists up to MAX_WINDOWS_PER_RUN windows, still one run, with its
 * `listed_to`). Each change no push told us about is stored as a `reconcile.order_changed` event
 * and sent the normal follow-up; repeating a window stores nothing twice (a dedupe key per
 * change). An unreadable row is skipped and recorded; a window past the page cap is split
 * (`listWindow`). The checkpoint moves past each window listed; a failed window ends the run
 * `failed`, naming the window, and leaves the checkpoint there, so the next run starts with it.
 * When it fails as the first window of a third run in a row, it is skipped instead (gaps.ts):
 * recorded as a gap for /health/pipeline and a manual run, the checkpoint moved past it, and the
 * windows after it listed (the run ends `done`, its `error` noting the skip).
 */
export async function runReconciliation(env: Env, deps: ReconcileDeps, now: number): Promise<CronOutcome> {
  const reconcileEveryMs = readConfig(env).reconcile.everyMs;
  if (reconcileEveryMs === 0) return { ran: false, reason: "off" };
  await failAbandonedRuns(env.DB, encodeIdTime(now - ABANDONED_RUN_MS), now);
  if (!isReconcileDue(await latestCronRunStartedAt(env.DB), now, reconcileEveryMs)) {
    return { ran: false, reason: "not_due" };
  }
  const windows = planCronWindows(await getCheckpoint(env.DB), now);
  const first = windows[0];
  const last = windows.at(-1);
  if (!first || !last) return { ran: false, reason: "nothing_new" };
  const window = { fromMs: first.fromMs, toMs: last.toMs };
  const run: CronRun = { id: newUlid(now), window, startedAt: now, windowsListed: 0, listedTo: null, skipped: null };
  await startRun(env.DB, {
    id: run.id,
    trigger: "cron",
    window_from: window.fromMs,
    window_to: window.toMs,
    started_at: now,
  });
  const tally = emptyTally();
  for (const [index, step] of windows.entries()) {
    const error = await listWindows(env, deps, [step], now, tally);
    if (error !== null) {
      const where = `window ${index + 1} of ${windows.length} (${isoMinute(step.fromMs)} to ${isoMinute(step.toMs)} UTC)`;
      if (index > 0 || !(await skipIfFailedThrice(env.DB, step, error, now))) {
        return { ran: true, run: await finish(env, deps, run, tally, `${where}: ${error}`) };
      }
      run.skipped = `${where} skipped as a gap after ${MAX_WINDOW_FAILURES} failures: ${error}`;
    }
    await advanceCheckpoint(env.DB, step.toMs, now);
    run.windowsListed += 1;
    run.listedTo = step.toMs;
  }
  return { ran: true, run: await finish(env, deps, run, tally, null) };
}
