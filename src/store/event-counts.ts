/**
 * Event counts kept off the push path (migrations/0008): the cron rolls new events up into
 * `event_counts` (all time) and `event_counts_hourly` (by arrival hour), reading only rows above
 * its watermark, a rowid (rowids grow in insert order, so a row stored late with an old id is
 * still above it); triggers keep both right when a rolled-up event changes status or is purged,
 * and lower the watermark when the purge deletes the largest rowids (migrations/0010), since a
 * new row then takes the largest rowid left plus one.
 * Stats read these small tables plus the tail of events not rolled up yet (bounded by a cap).
 */
/** Hours are counted in ms since epoch, as `received_at`. */
const HOUR_MS = 3_600_000;

/** The rows above the watermark, in insert order, at most `?1` of them. */
const CHUNK = `SELECT rowid AS position, received_at, category, COALESCE(event, '') AS event, status FROM events
  WHERE rowid > (SELECT watermark FROM event_rollup WHERE singleton = 1) ORDER BY rowid LIMIT ?1`;

export const ROLLUP_SQL = {
  count: `SELECT COUNT(*) AS n FROM (${CHUNK})`,
  hourly: `INSERT INTO event_counts_hourly (hour, category, event, status, n)
    SELECT (received_at / ${HOUR_MS}) * ${HOUR_MS}, category, event, status, COUNT(*) FROM (${CHUNK}) WHERE true
    GROUP BY 1, 2, 3, 4
    ON CONFLICT (hour, category, event, status) DO UPDATE SET n = n + excluded.n`,
  totals: `INSERT INTO event_counts (category, event, status, n)
    SELECT category, event, status, COUNT(*) FROM (${CHUNK}) WHERE true GROUP BY 1, 2, 3
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
