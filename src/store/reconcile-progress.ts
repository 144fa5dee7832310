/**
 * All SQL of how far reconciliation got: the cron's checkpoint, and the gaps behind it (cron windows
 * that failed three times, skipped until a run lists them).
 */

/** The statements that read, by name, so the query-plan test explains exactly what runs. */
export const GAP_SQL = {
  /**
   * Failed cron runs of the window starting at ?1. The checkpoint only moves forward and a cron
   * window starts at the checkpoint less the overlap, so a window start repeats only while its
   * window keeps failing. Down (trigger, status, id).
   */
  failures: `SELECT COUNT(*) AS n FROM reconcile_runs
    WHERE trigger = 'cron' AND status = 'failed' AND window_from = ?1`,
  /** Open gaps inside [?1, ?2], down reconcile_gaps_open. */
  openWithin: `SELECT window_from, window_to FROM reconcile_gaps INDEXED BY reconcile_gaps_open
    WHERE filled_at IS NULL AND window_from >= ?1 AND window_to <= ?2`,
} as const;

export type ReconcileGapRow = {
  window_from: number;
  window_to: number;
  error: string;
  skipped_at: number;
  filled_at: number | null;
  filled_by: string | null;
};

/** How many cron runs of the window starting at `windowFrom` have failed. */
export async function countWindowFailures(db: D1Database, windowFrom: number): Promise<number> {
  const row = await db.prepare(GAP_SQL.failures).bind(windowFrom).first<{ n: number }>();
  return row?.n ?? 0;
}

/** Records a skipped window as an open gap (again open, with the latest error, if it was one before). */
export async function recordGap(
  db: D1Database,
  gap: { fromMs: number; toMs: number; error: string; at: number },
): Promise<void> {
  await db
    .prepare(
      `INSERT INTO reconcile_gaps (window_from, window_to, error, skipped_at) VALUES (?1, ?2, ?3, ?4)
       ON CONFLICT (window_from, window_to) DO UPDATE SET error = excluded.error, skipped_at = excluded.skipped_at,
         filled_at = NULL, filled_by = NULL`,
    )
    .bind(gap.fromMs, gap.toMs, gap.error, gap.at)
    .run();
}

/** Marks the open gaps inside [fromMs, toMs] filled by run `runId`; returns how many. */
export async function fillGapsWithin(
  db: D1Database,
  range: { fromMs: number; toMs: number },
  runId: string,
  at: number,
): Promise<number> {
  const result = await db
    .prepare(
      `UPDATE reconcile_gaps SET filled_at = ?3, filled_by = ?4
       WHERE (window_from, window_to) IN (${GAP_SQL.openWithin})`,
    )
    .bind(range.fromMs, range.toMs, at, runId)
    .run();
  return result.meta.changes;
}

/** Every gap, newest first (at most `limit`): the dashboard's and the tests' view. */
export async function listGaps(db: D1Database, limit: number): Promise<ReconcileGapRow[]> {
  const { results } = await db
    .prepare("SELECT * FROM reconcile_gaps ORDER BY window_from DESC LIMIT ?1")
    .bind(limit)
    .all<ReconcileGapRow>();
  return results;
}

export async function getCheckpoint(db: D1Database): Promise<number | null> {
  const row = await db
    .prepare("SELECT checkpoint_at FROM reconcile_checkpoint WHERE id = 1")
    .first<{ checkpoint_at: number }>();
  return row?.checkpoint_at ?? null;
}

/** Moves the checkpoint forward to `to`; never back (a late, older window cannot rewind it). */
export async function advanceCheckpoint(db: D1Database, to: number, at: number): Promise<void> {
  await db
    .prepare(
      `INSERT INTO reconcile_checkpoint (id, checkpoint_at, updated_at) VALUES (1, ?1, ?2)
       ON CONFLICT (id) DO UPDATE SET checkpoint_at = MAX(checkpoint_at, excluded.checkpoint_at),
         updated_at = excluded.updated_at`,
    )
    .bind(to, at)
    .run();
}
