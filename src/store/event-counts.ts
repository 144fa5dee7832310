/** Event counts kept off the push path (migrations/0008), for the stats: the roll-up and its reads. */
import { COUNTED, TAIL_CAP } from "./stats";

/** Hours and days are counted in ms since epoch, as `received_at`; days are UTC days. */
const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;

/** The rows above the watermark, in insert order, at most `?1` of them. */
const CHUNK = `SELECT rowid AS position, received_at, category, COALESCE(event, '') AS event, status, source FROM events
  WHERE rowid > (SELECT watermark FROM event_rollup WHERE singleton = 1) ORDER BY rowid LIMIT ?1`;

/**
 * The cron rolls new events up into `event_counts` (all time) and `event_counts_hourly` (by
 * arrival hour), all but the self-test pushes (COUNTED), reading only rows above its watermark, a
 * rowid (rowids grow in insert order, so a row stored late with an old id is still above it);
 * triggers keep both right when a rolled-up event changes status or is purged, and lower the
 * watermark when the purge deletes the largest rowids (migrations/0010), since a new row then
 * takes the largest rowid left plus one. Stats read these small tables plus the tail of events
 * not rolled up yet (bounded by TAIL_CAP).
 */
export const ROLLUP_SQL = {
  count: `SELECT COUNT(*) AS n FROM (${CHUNK})`,
  hourly: `INSERT INTO event_counts_hourly (hour, category, event, status, n)
    SELECT (received_at / ${HOUR_MS}) * ${HOUR_MS}, category, event, status, COUNT(*) FROM (${CHUNK})
    WHERE ${COUNTED} GROUP BY 1, 2, 3, 4
    ON CONFLICT (hour, category, event, status) DO UPDATE SET n = n + excluded.n`,
  totals: `INSERT INTO event_counts (category, event, status, n)
    SELECT category, event, status, COUNT(*) FROM (${CHUNK}) WHERE ${COUNTED} GROUP BY 1, 2, 3
    ON CONFLICT (category, event, status) DO UPDATE SET n = n + excluded.n`,
  advance: `UPDATE event_rollup SET watermark = COALESCE((SELECT MAX(position) FROM (${CHUNK})), watermark),
    rolled_at = ?2 WHERE singleton = 1`,
  dropHours: "DELETE FROM event_counts_hourly WHERE hour < ?1",
} as const;

/**
 * Rolls the next `limit` events up into the counts, in one transaction; returns how many were
 * rolled up (fewer than `limit`: caught up).
 */
export async function rollUpEvents(db: D1Database, limit: number, now: number): Promise<number> {
  const [count] = await db.batch([
    db.prepare(ROLLUP_SQL.count).bind(limit),
    db.prepare(ROLLUP_SQL.hourly).bind(limit),
    db.prepare(ROLLUP_SQL.totals).bind(limit),
    db.prepare(ROLLUP_SQL.advance).bind(limit, now),
  ]);
  return (count?.results[0] as { n: number } | undefined)?.n ?? 0;
}

/** Hourly counts of hours before `hourBound` (ms) are dropped: past retention, all zero. */
export async function dropCountHoursBefore(db: D1Database, hourBound: number): Promise<number> {
  const result = await db.prepare(ROLLUP_SQL.dropHours).bind(hourBound).run();
  return result.meta.changes;
}

/**
 * One event name's count per UTC day, by name: the hourly counts (down the (event, hour) index)
 * plus the tail not rolled up yet, at most TAIL_CAP rows as the stats count it.
 * ?1 event name, ?2 start (ms, inclusive), ?3 end (ms, exclusive).
 */
export const DAILY_COUNT_SQL = {
  rolledUp: `SELECT (hour / ${DAY_MS}) * ${DAY_MS} AS day, SUM(n) AS n FROM event_counts_hourly
    WHERE event = ?1 AND hour >= ?2 AND hour < ?3 GROUP BY 1`,
  tail: `SELECT (received_at / ${DAY_MS}) * ${DAY_MS} AS day, COUNT(*) AS n FROM (
      SELECT received_at, event, source FROM events
      WHERE rowid > (SELECT watermark FROM event_rollup WHERE singleton = 1) ORDER BY rowid LIMIT ${TAIL_CAP + 1}
    ) WHERE event = ?1 AND received_at >= ?2 AND received_at < ?3 AND ${COUNTED} GROUP BY 1`,
} as const;

/**
 * How many events named `event` arrived on each UTC day of [fromMs, toMs), keyed by the day's
 * start (ms); days without any are absent. Reads a bounded number of rows whatever the number
 * of stored events. When more than TAIL_CAP events wait for the rollup, the newest of them are
 * counted once rolled up (the stats say so with `counts_complete`).
 */
export async function countEventPerDay(
  db: D1Database,
  event: string,
  fromMs: number,
  toMs: number,
): Promise<Map<number, number>> {
  const results = await db.batch<{ day: number; n: number }>([
    db.prepare(DAILY_COUNT_SQL.rolledUp).bind(event, fromMs, toMs),
    db.prepare(DAILY_COUNT_SQL.tail).bind(event, fromMs, toMs),
  ]);
  const days = new Map<number, number>();
  for (const result of results) for (const { day, n } of result.results) days.set(day, (days.get(day) ?? 0) + n);
  return days;
}
