/** Which time windows reconciliation lists, and when. Pure. */
export const MINUTE_MS = 60_000;
const HOUR_MS = 60 * MINUTE_MS;
const DAY_MS = 24 * HOUR_MS;

export const WINDOW_OVERLAP_MS = 10 * MINUTE_MS;
export const SETTLE_LAG_MS = 2 * MINUTE_MS;
export const MAX_WINDOW_MS = HOUR_MS;
/** With no checkpoint yet (first run), the last day is listed: the span of Omisell's push retries, with margin. */
export const FIRST_RUN_LOOKBACK_MS = DAY_MS;
/** A cron run lists at most this many windows; after an outage the next runs catch up, oldest first. */
export const MAX_WINDOWS_PER_RUN = 8;
export const MAX_MANUAL_RANGE_MS = 15 * DAY_MS;
/** A run left `running` longer than this was cut off (its invocation ended) and is marked failed. */
export const ABANDONED_RUN_MS = HOUR_MS;
/** Cron invocations land on whole minutes, a little late or early: a run this close to due is due. */
const DUE_TOLERANCE_MS = 30_000;

/**
 * Inclusive ms bounds of at most one hour. Consecutive windows share their boundary and each cron
 * run starts WINDOW_OVERLAP_MS before the checkpoint: Omisell does not say whether the list's
 * bounds are inclusive, and a change listed twice is stored once (dedupe key), so overlapping is
 * free while a gap would lose changes. The end stays SETTLE_LAG_MS behind now, so a change Omisell
 * is still writing is listed by the next run rather than half-seen.
 */
export type TimeWindow = { fromMs: number; toMs: number };

/** [from, to] cut into windows of at most MAX_WINDOW_MS, oldest first, at most `limit` of them. */
export function splitIntoWindows(fromMs: number, toMs: number, limit = Number.POSITIVE_INFINITY): TimeWindow[] {
  const windows: TimeWindow[] = [];
  for (let start = fromMs; start < toMs && windows.length < limit; start += MAX_WINDOW_MS) {
    windows.push({ fromMs: start, toMs: Math.min(start + MAX_WINDOW_MS, toMs) });
  }
  return windows;
}

/**
 * The windows of one cron run: [checkpoint − overlap, now − settle lag]. Nothing when that end
 * is not past the checkpoint (a clock behind the checkpoint, or a run right after the last).
 */
export function planCronWindows(
  checkpointMs: number | null,
  nowMs: number,
  maxWindows = MAX_WINDOWS_PER_RUN,
): TimeWindow[] {
  const end = nowMs - SETTLE_LAG_MS;
  if (checkpointMs === null) return splitIntoWindows(nowMs - FIRST_RUN_LOOKBACK_MS, end, maxWindows);
  if (end <= checkpointMs) return [];
  return splitIntoWindows(checkpointMs - WINDOW_OVERLAP_MS, end, maxWindows);
}

/** The cron runs every minute; reconciliation only once per period since the last cron run began. */
export function isReconcileDue(lastCronRunStartedAt: number | null, nowMs: number, periodMs: number): boolean {
  if (periodMs <= 0) return false;
  if (lastCronRunStartedAt === null) return true;
  return nowMs - lastCronRunStartedAt >= periodMs - DUE_TOLERANCE_MS;
}

/**
 * How far past the worker's clock a requested range may end: the caller's clock may run a little
 * ahead (a script that asks for "up to now"), but Omisell cannot list changes that have not
 * happened, and a range in the future would stay `running` until it had.
 */
export const MANUAL_CLOCK_SKEW_MS = MINUTE_MS;

/** Why a requested range's end is too late, or null: it may end at most MANUAL_CLOCK_SKEW_MS past `nowMs`. */
export function checkRangeEnd(toMs: number, nowMs: number): string | null {
  return toMs > nowMs + MANUAL_CLOCK_SKEW_MS
    ? "must not be in the future (at most 1 minute past the worker's clock)"
    : null;
}

/** Why a manual range cannot be listed at `nowMs`, or null when it can. */
export function checkManualRange(fromMs: number, toMs: number, nowMs: number): string | null {
  if (!Number.isFinite(fromMs) || !Number.isFinite(toMs)) return "from and to must be times";
  if (toMs <= fromMs) return "to must be after from";
  if (toMs - fromMs > MAX_MANUAL_RANGE_MS) return "the range may span at most 15 days";
  const late = checkRangeEnd(toMs, nowMs);
  return late === null ? null : `to ${late}`;
}
