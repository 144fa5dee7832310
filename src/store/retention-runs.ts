/** All SQL on `retention_runs` (migration 0017): one row per retention run, its lease and its outcome. */

/** What became of archiving in a run: no binding, nothing to archive, objects written, or R2 failed. */
export type ArchiveOutcome = "off" | "idle" | "ok" | "failed";

export type RetentionRunRow = {
  id: string;
  started_at: number;
  finished_at: number | null;
  status: "running" | "done" | "failed";
  archive: ArchiveOutcome;
  archived_objects: number;
  archived_events: number;
  removed: string | null;
  error: string | null;
};

/** The statements, by name, so the query-plan test explains exactly what runs. */
export const RETENTION_RUN_SQL = {
  abandon: `UPDATE retention_runs SET status = 'failed', finished_at = ?1,
      error = 'stopped before it finished (lease ran out)'
    WHERE status = 'running' AND started_at <= ?2`,
  start: `INSERT INTO retention_runs (id, started_at, status, archive)
    SELECT ?1, ?2, 'running', ?3
    WHERE NOT EXISTS (SELECT 1 FROM retention_runs INDEXED BY retention_runs_running
                      WHERE status = 'running' AND started_at > ?4)
    RETURNING id`,
  finish: `UPDATE retention_runs SET status = ?2, finished_at = ?3, archive = ?4, archived_objects = ?5,
      archived_events = ?6, removed = ?7, error = ?8
    WHERE id = ?1`,
  lastArchiveOutcomes: "SELECT archive FROM retention_runs WHERE status <> 'running' ORDER BY id DESC LIMIT ?1",
  last: "SELECT * FROM retention_runs WHERE status <> 'running' ORDER BY id DESC LIMIT 1",
} as const;

/**
 * Starts run `id` at `now` unless another run started less than `leaseMs` ago is still running
 * (then false: this minute's run is skipped). A run still `running` after its lease stopped
 * without finishing (its isolate was killed) and is marked `failed` in the same transaction.
 */
export async function startRetentionRun(
  db: D1Database,
  run: { id: string; now: number; archive: ArchiveOutcome; leaseMs: number },
): Promise<boolean> {
  const leaseStart = run.now - run.leaseMs;
  const [, started] = await db.batch([
    db.prepare(RETENTION_RUN_SQL.abandon).bind(run.now, leaseStart),
    db.prepare(RETENTION_RUN_SQL.start).bind(run.id, run.now, run.archive, leaseStart),
  ]);
  return (started?.results.length ?? 0) > 0;
}

export type RetentionRunOutcome = {
  status: "done" | "failed";
  finishedAt: number;
  archive: ArchiveOutcome;
  archivedObjects: number;
  archivedEvents: number;
  removed: Record<string, number>;
  error: string | null;
};

/** Records how the run ended, which also ends its lease. */
export async function finishRetentionRun(db: D1Database, id: string, outcome: RetentionRunOutcome): Promise<void> {
  await db
    .prepare(RETENTION_RUN_SQL.finish)
    .bind(
      id,
      outcome.status,
      outcome.finishedAt,
      outcome.archive,
      outcome.archivedObjects,
      outcome.archivedEvents,
      JSON.stringify(outcome.removed),
      outcome.error,
    )
    .run();
}

/** The archive outcomes of the last `count` finished runs, newest first. */
export async function lastArchiveOutcomes(db: D1Database, count: number): Promise<ArchiveOutcome[]> {
  const { results } = await db
    .prepare(RETENTION_RUN_SQL.lastArchiveOutcomes)
    .bind(count)
    .all<{ archive: ArchiveOutcome }>();
  return results.map((row) => row.archive);
}

/** The last finished run, or null before the first. */
export function lastRetentionRun(db: D1Database): Promise<RetentionRunRow | null> {
  return db.prepare(RETENTION_RUN_SQL.last).first<RetentionRunRow>();
}
