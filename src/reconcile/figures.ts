/** What reconciliation tells people: push coverage over 24 hours and the pushes missed per day. */
import { encodeIdTime } from "../lib/ids";
import { countEventPerDay } from "../store/event-counts";
import { listRuns, type ReconcileRun, sumRunsSince } from "../store/reconcile";
import { RECONCILE_EVENT } from "./missed";

const DAY_MS = 86_400_000;
export const COVERAGE_WINDOW_MS = DAY_MS;

/** 1 − missed/listed; null when nothing was listed (no figure rather than a made-up 100 %). */
export function pushCoverage(listed: number, missed: number): number | null {
  if (listed <= 0) return null;
  return Math.max(0, 1 - missed / listed);
}

/**
 * Over the runs started in the last 24 hours and done: periodic ones and manual ones
 * (`POST /api/reconcile`, `npm run reconcile`) alike, so a range someone asked about counts once
 * it is listed. A change listed by two overlapping windows or runs counts twice in both figures
 * (it is missed in both or in neither), so the share stays right.
 */
export async function readPushCoverage(db: D1Database, nowMs: number): Promise<number | null> {
  const { listed, missed } = await sumRunsSince(db, encodeIdTime(nowMs - COVERAGE_WINDOW_MS));
  return pushCoverage(listed, missed);
}

export type MissedDay = { day: string; missed: number };

/**
 * The last `days` UTC days, oldest first, today included: events reconciliation added on each,
 * from the event counts (a bounded read, however many events are stored).
 */
export async function readMissedPushesPerDay(db: D1Database, nowMs: number, days = 7): Promise<MissedDay[]> {
  const today = Math.floor(nowMs / DAY_MS) * DAY_MS;
  const starts = Array.from({ length: days }, (_, i) => today - (days - 1 - i) * DAY_MS);
  const counts = await countEventPerDay(db, RECONCILE_EVENT, starts[0] ?? today, today + DAY_MS);
  return starts.map((start) => ({ day: new Date(start).toISOString().slice(0, 10), missed: counts.get(start) ?? 0 }));
}

export type ReconciliationSummary = {
  lastRun: ReconcileRun | null;
  pushCoverage: number | null;
  missedPerDay: MissedDay[];
};

/** What the dashboard's overview shows of reconciliation: the newest run, coverage, missed per day. */
export async function readReconciliationSummary(db: D1Database, nowMs: number): Promise<ReconciliationSummary> {
  const [runs, pushCoverage, missedPerDay] = await Promise.all([
    listRuns(db, 1),
    readPushCoverage(db, nowMs),
    readMissedPushesPerDay(db, nowMs),
  ]);
  return { lastRun: runs[0] ?? null, pushCoverage, missedPerDay };
}
