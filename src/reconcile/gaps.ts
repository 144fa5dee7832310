/** Gaps: a cron window that keeps failing is skipped after its third failure, and filled by a manual run. */
import { log } from "../lib/log";
import { countWindowFailures, fillGapsWithin, recordGap } from "../store/reconcile-progress";
import type { TimeWindow } from "./windows";

/** Failures of one cron window before it is skipped. */
export const MAX_WINDOW_FAILURES = 3;

/**
 * After a cron run's first window failed (the run not yet recorded): true when this is the third
 * run in a row to fail at it, and then it is recorded as a gap (`reconcile_gap` in /health/pipeline until a run lists
 * it) so that the caller moves the checkpoint past it: one unreadable window must not hold every
 * later one back, listed again (up to its page cap) every period.
 */
export async function skipIfFailedThrice(db: D1Database, window: TimeWindow, error: string, now: number) {
  const failures = (await countWindowFailures(db, window.fromMs)) + 1; // with this one
  if (failures < MAX_WINDOW_FAILURES) return false;
  await recordGap(db, { fromMs: window.fromMs, toMs: window.toMs, error, at: now });
  log("error", "reconcile_window_skipped", { from: window.fromMs, to: window.toMs, failures, error });
  return true;
}

/** A run listed [fromMs, toMs] completely: the gaps inside it are filled. */
export async function fillGaps(db: D1Database, range: TimeWindow, runId: string, now: number): Promise<void> {
  const filled = await fillGapsWithin(db, range, runId, now);
  if (filled > 0) log("info", "reconcile_gaps_filled", { run_id: runId, gaps: filled, ...range });
}
