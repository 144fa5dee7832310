/** Reconciliation runs of the cron: list a window, store the changes no push told us about, follow them up. */
import { readConfig } from "../config";
import { describeError } from "../errors";
import { enqueueFollowups, type FollowupReason } from "../followup/message";
import { encodeIdTime, newUlid } from "../lib/ids";
import { log } from "../lib/log";
import {
  advanceCheckpoint,
  failAbandonedRuns,
  finishRun,
  getCheckpoint,
  insertReconciledEvents,
  latestCronRunStartedAt,
  latestPushReceivedAt,
  startRun,
} from "../store/reconcile";
import { missedChanges, RECONCILE_EVENT, reconcileDedupeKey } from "./missed";
import { type ListOrdersCall, type OrderChange, walkOrderList } from "./order-list";
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
  error: string | null;
};

export type CronOutcome = { ran: false; reason: "off" | "not_due" | "nothing_new" } | { ran: true; run: RunOutcome };

export type Tally = { ordersListed: number; missed: number; added: number };

/** One page: which changes no push covered, stored (once) and sent to the follow-up queue. */
async function handlePage(env: Env, changes: OrderChange[], receivedAt: number, tally: Tally): Promise<void> {
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
      const walk = await walkOrderList(
        deps.listOrders,
        window,
        (changes) => handlePage(env, changes, receivedAt, tally),
        deps.maxPagesPerWindow,
      );
      if (!walk.ok) return walk.error;
    } catch (err) {
      return describeError(err);
    }
  }
  return null;
}

async function finish(
  env: Env,
  deps: ReconcileDeps,
  run: { id: string; window: TimeWindow; startedAt: number; windowsListed: number; listedTo: number | null },
  tally: Tally,
  error: string | null,
): Promise<RunOutcome> {
  const clock = deps.clock ?? Date.now;
  const status = error === null ? "done" : "failed";
  await finishRun(env.DB, run.id, {
    status,
    ordersListed: tally.ordersListed,
    missed: tally.missed,
    error,
    finishedAt: Math.max(run.startedAt, clock()),
    listedTo: run.listedTo,
  });
  const fields = { run_id: run.id, trigger: "cron", from: run.window.fromMs, to: run.window.toMs, ...tally };
  if (error === null) log(tally.missed > 0 ? "warn" : "info", "reconcile_run_done", fields);
  else log("error", "reconcile_run_failed", { ...fields, error });
  return { runId: run.id, window: run.window, windowsListed: run.windowsListed, status, ...tally, error };
}

const isoMinute = (ms: number) => new Date(ms).toISOString().slice(0, 16);

/**
 * The cron's step, called every minute: nothing when reconciliation is off or not yet due;
 * otherwise the planned windows from the checkpoint on, oldest first, as ONE recorded run (a
 * catch-up after an outage lists up to MAX_WINDOWS_PER_RUN windows, still one run, with its
 * `listed_to`). Each change no push told us about is stored as a `reconcile.order_changed` event
 * and sent the normal follow-up; repeating a window stores nothing twice (a dedupe key per
 * change). The checkpoint moves past each window listed; a failed window ends the run `failed`,
 * naming the window, and leaves the checkpoint there, so the next period lists it again.
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
  const run = { id: newUlid(now), window, startedAt: now, windowsListed: 0, listedTo: null as number | null };
  await startRun(env.DB, {
    id: run.id,
    trigger: "cron",
    window_from: window.fromMs,
    window_to: window.toMs,
    started_at: now,
  });
  const tally: Tally = { ordersListed: 0, missed: 0, added: 0 };
  for (const [index, step] of windows.entries()) {
    const error = await listWindows(env, deps, [step], now, tally);
    if (error !== null) {
      const where = `window ${index + 1} of ${windows.length} (${isoMinute(step.fromMs)} to ${isoMinute(step.toMs)} UTC)`;
      return { ran: true, run: await finish(env, deps, run, tally, `${where}: ${error}`) };
    }
    await advanceCheckpoint(env.DB, step.toMs, now);
    run.windowsListed += 1;
    run.listedTo = step.toMs;
  }
  return { ran: true, run: await finish(env, deps, run, tally, null) };
}
