/** The reads behind /health/pipeline: a few single-row lookups, each an index seek or a bounded range. */
import { type ArchiveOutcome, RETENTION_RUN_SQL } from "./retention-runs";

/** How many finished retention runs in a row must have failed to archive for `archive_failing`. */
export const ARCHIVE_FAILING_RUNS = 3;

import { FRESHNESS_SQL, type FreshnessRow } from "./freshness";

export type PipelineFacts = {
  /**
   * Since when the longest-waiting event has waited for its follow-up: its reopen when a replay
   * reopened it (a replay of an old event has not waited since its arrival), else its arrival.
   */
  oldestReceivedAt: number | null;
  /** When the latest failure happened (processed_at: when the event settled as `failed`). */
  lastFailureAt: number | null;
  /** received_at of the newest push since `silenceSinceId`, null when none. */
  lastPushAt: number | null;
  /** received_at of the newest event reconciliation added. */
  lastMissedAt: number | null;
  /** Listed and missed order changes of the runs (periodic and manual) done since `coverageSinceId`. */
  coverage: { listed: number; missed: number };
  /** The newest finished cron run, and when the newest successful one finished. */
  lastCronRun: { status: "done" | "failed"; finished_at: number | null } | null;
  lastCronSuccessAt: number | null;
  /** What became of archiving in the last ARCHIVE_FAILING_RUNS finished retention runs, newest first. */
  archiveOutcomes: ArchiveOutcome[];
  /** The freshness histogram's rows of the slots from `freshnessFirstSlot` on. */
  freshness: FreshnessRow[];
  /** Reconciliation windows the cron skipped and no run has listed since (oldest first, at most 5). */
  reconcileGaps: { from: number; to: number }[];
};

export type FactBounds = {
  silenceSinceId: string;
  coverageSinceId: string;
  reconcileEvent: string;
  freshnessFirstSlot: number;
};

/** The statements, by name, so the query-plan test explains exactly what runs. */
export const PIPELINE_HEALTH_SQL = {
  // Named, because without table statistics the planner prefers events_by_status and then sorts
  // every waiting (or failed) event; these small partial indexes are read in order, one row.
  oldestReceived: `SELECT COALESCE(reopened_at, received_at) AS at FROM events INDEXED BY events_waiting_since
    WHERE status = 'received' ORDER BY COALESCE(reopened_at, received_at) LIMIT 1`,
  lastFailure: `SELECT processed_at AS at FROM events INDEXED BY events_failed_by_time
    WHERE status = 'failed' ORDER BY processed_at DESC LIMIT 1`,
  lastPush: "SELECT received_at AS at FROM events WHERE id >= ?1 AND source = 'push' ORDER BY id DESC LIMIT 1",
  lastMissed: "SELECT received_at AS at FROM events WHERE event = ?1 ORDER BY id DESC LIMIT 1",
  coverage: `SELECT COALESCE(SUM(orders_listed), 0) AS listed, COALESCE(SUM(missed), 0) AS missed
    FROM reconcile_runs WHERE id >= ?1 AND status = 'done'`,
  lastCronRun: `SELECT status, finished_at FROM reconcile_runs WHERE trigger = 'cron' AND status <> 'running'
    ORDER BY id DESC LIMIT 1`,
  lastCronSuccess:
    "SELECT finished_at AS at FROM reconcile_runs WHERE trigger = 'cron' AND status = 'done' ORDER BY id DESC LIMIT 1",
  freshness: FRESHNESS_SQL.since,
  openGaps: `SELECT window_from AS "from", window_to AS "to" FROM reconcile_gaps INDEXED BY reconcile_gaps_open
    WHERE filled_at IS NULL ORDER BY window_from LIMIT 5`,
} as const;

export async function readPipelineFacts(db: D1Database, bounds: FactBounds): Promise<PipelineFacts> {
  const sql = PIPELINE_HEALTH_SQL;
  const [oldest, failure, push, missed, coverage, lastRun, lastSuccess, archive, freshness, gaps] = await db.batch([
    db.prepare(sql.oldestReceived),
    db.prepare(sql.lastFailure),
    db.prepare(sql.lastPush).bind(bounds.silenceSinceId),
    db.prepare(sql.lastMissed).bind(bounds.reconcileEvent),
    db.prepare(sql.coverage).bind(bounds.coverageSinceId),
    db.prepare(sql.lastCronRun),
    db.prepare(sql.lastCronSuccess),
    db.prepare(RETENTION_RUN_SQL.lastArchiveOutcomes).bind(ARCHIVE_FAILING_RUNS),
    db.prepare(sql.freshness).bind(bounds.freshnessFirstSlot),
    db.prepare(sql.openGaps),
  ]);
  const at = (result: D1Result<unknown> | undefined) =>
    (result?.results[0] as { at: number | null } | undefined)?.at ?? null;
  const sums = coverage?.results[0] as { listed: number; missed: number } | undefined;
  return {
    oldestReceivedAt: at(oldest),
    lastFailureAt: at(failure),
    lastPushAt: at(push),
    lastMissedAt: at(missed),
    coverage: { listed: sums?.listed ?? 0, missed: sums?.missed ?? 0 },
    lastCronRun: (lastRun?.results[0] as PipelineFacts["lastCronRun"] | undefined) ?? null,
    lastCronSuccessAt: at(lastSuccess),
    archiveOutcomes: ((archive?.results ?? []) as { archive: ArchiveOutcome }[]).map((row) => row.archive),
    freshness: (freshness?.results ?? []) as FreshnessRow[],
    reconcileGaps: (gaps?.results ?? []) as { from: number; to: number }[],
  };
}
