/** All SQL of reconciliation: the latest push per order, the events it adds, its runs (checkpoint and gaps: reconcile-progress.ts). */
import type { NewEvent } from "../events/vocabulary";
import { INSERT_EVENT_COLUMNS, INSERT_EVENT_PLACEHOLDERS, insertValues } from "./event-columns";
import { rowsOf } from "./rows";

/** The statements that read, by name, so the query-plan test explains exactly what runs. */
export const RECONCILE_SQL = {
  /** ?1: JSON array of order numbers; per order, the newest push down events_by_order. */
  latestPush: `SELECT j.value AS order_number,
      (SELECT e.received_at FROM events e WHERE e.order_number = j.value AND e.source = 'push'
       ORDER BY e.id DESC LIMIT 1) AS received_at
    FROM json_each(?1) j`,
  listRuns: "SELECT * FROM reconcile_runs WHERE id < ?1 ORDER BY id DESC LIMIT ?2",
  latestCronRun: "SELECT started_at FROM reconcile_runs WHERE trigger = 'cron' ORDER BY id DESC LIMIT 1",
  /** Periodic and manual runs alike: a requested range counts once it is listed to the end. */
  sumRuns: `SELECT COALESCE(SUM(orders_listed), 0) AS listed, COALESCE(SUM(missed), 0) AS missed
    FROM reconcile_runs WHERE id >= ?1 AND status = 'done'`,
  /**
   * Cron runs only: a manual run left `running` is continued by the next cron invocation, so it
   * is never abandoned. The trigger named, the walk seeks (trigger, status, id).
   */
  abandonedRuns: "SELECT id FROM reconcile_runs WHERE trigger = 'cron' AND status = 'running' AND id < ?1",
  /** Manual runs still to list, oldest first, down (trigger, status, id). */
  runningManualRuns:
    "SELECT * FROM reconcile_runs WHERE trigger = 'manual' AND status = 'running' ORDER BY id LIMIT ?1",
} as const;

export type RunTrigger = "cron" | "manual";
export type RunStatus = "running" | "done" | "failed";

export type ReconcileRun = {
  id: string;
  trigger: RunTrigger;
  window_from: number;
  window_to: number;
  started_at: number;
  finished_at: number | null;
  status: RunStatus;
  orders_listed: number;
  missed: number;
  error: string | null;
  /** The end of the last window listed: a manual run's progress, a cron run's reach once it ended (null before the first window). */
  listed_to: number | null;
  /** Results of the order list that could not be read, skipped (migration 0015). */
  skipped_rows: number;
  /** The first few of them as JSON: [{page, index, reason, raw}], or null. */
  skipped_samples: string | null;
};

/** The first few unreadable rows as stored: JSON, or null when there were none. */
function samplesJson(samples: readonly unknown[]): string | null {
  return samples.length > 0 ? JSON.stringify(samples) : null;
}

/**
 * For each order number (one page, at most 100), when its newest push was received. Each order
 * is a walk down events_by_order from its newest event to its first push; orders without a push
 * are absent from the map.
 */
export async function latestPushReceivedAt(db: D1Database, orderNumbers: string[]): Promise<Map<string, number>> {
  if (orderNumbers.length === 0) return new Map();
  const { results } = await db
    .prepare(RECONCILE_SQL.latestPush)
    .bind(JSON.stringify(orderNumbers))
    .all<{ order_number: string; received_at: number | null }>();
  const latest = new Map<string, number>();
  for (const row of results) if (row.received_at !== null) latest.set(row.order_number, row.received_at);
  return latest;
}

export type ReconciledEvent = {
  id: string;
  dedupe_key: string;
  event: string;
  order_number: string;
  received_at: number;
  payload: string;
};

/** The event a missed change becomes: an order event no push carried, waiting for its follow-up. */
function reconciledRow(row: ReconciledEvent): NewEvent {
  return {
    id: row.id,
    dedupe_key: row.dedupe_key,
    request_id: null,
    event: row.event,
    category: "order",
    seller_id: null,
    resource_type: "order",
    resource_id: row.order_number,
    order_number: row.order_number,
    status: "received",
    signature_valid: null,
    source: "reconcile",
    received_at: row.received_at,
    payload: row.payload,
  };
}

const INSERT_RECONCILED_SQL = `INSERT INTO events (${INSERT_EVENT_COLUMNS}) VALUES (${INSERT_EVENT_PLACEHOLDERS})
  ON CONFLICT (dedupe_key) DO NOTHING
  RETURNING id`;

/**
 * Stores missed changes as `received` order events with `source = 'reconcile'`, in one batch,
 * through the same column list as every other insert. A dedupe key already stored is left alone;
 * returns the ids actually inserted.
 */
export async function insertReconciledEvents(db: D1Database, rows: ReconciledEvent[]): Promise<string[]> {
  if (rows.length === 0) return [];
  const statement = db.prepare(INSERT_RECONCILED_SQL);
  const results = await db.batch<{ id: string }>(
    rows.map((row) => statement.bind(...insertValues(reconciledRow(row)))),
  );
  return results.flatMap((result) => result.results.map((row) => row.id));
}

/* ---- Runs ---- */

export async function startRun(
  db: D1Database,
  run: Pick<ReconcileRun, "id" | "trigger" | "window_from" | "window_to" | "started_at">,
): Promise<void> {
  await db
    .prepare(
      `INSERT INTO reconcile_runs (id, trigger, window_from, window_to, started_at, status)
       VALUES (?1, ?2, ?3, ?4, ?5, 'running')`,
    )
    .bind(run.id, run.trigger, run.window_from, run.window_to, run.started_at)
    .run();
}

export async function finishRun(
  db: D1Database,
  id: string,
  outcome: {
    status: "done" | "failed";
    ordersListed: number;
    missed: number;
    skippedRows: number;
    skippedSamples: readonly unknown[];
    error: string | null;
    finishedAt: number;
    /** How far the run's windows were listed: the end of the last one listed, null when none was. */
    listedTo: number | null;
  },
): Promise<void> {
  await db
    .prepare(
      `UPDATE reconcile_runs SET status = ?2, orders_listed = ?3, missed = ?4, error = ?5, finished_at = ?6,
         listed_to = ?7, skipped_rows = ?8, skipped_samples = ?9
       WHERE id = ?1 AND status = 'running'`,
    )
    .bind(
      id,
      outcome.status,
      outcome.ordersListed,
      outcome.missed,
      outcome.error,
      outcome.finishedAt,
      outcome.listedTo,
      outcome.skippedRows,
      samplesJson(outcome.skippedSamples),
    )
    .run();
}

/** Newest first; `beforeId` (exclusive) pages on. */
export async function listRuns(db: D1Database, limit: number, beforeId?: string): Promise<ReconcileRun[]> {
  return rowsOf<ReconcileRun>(db.prepare(RECONCILE_SQL.listRuns).bind(beforeId ?? "~", limit));
}

export function getRun(db: D1Database, id: string): Promise<ReconcileRun | null> {
  return db.prepare("SELECT * FROM reconcile_runs WHERE id = ?1").bind(id).first<ReconcileRun>();
}

/** Manual runs waiting to be listed further, oldest first. */
export async function listRunningManualRuns(db: D1Database, limit: number): Promise<ReconcileRun[]> {
  return rowsOf<ReconcileRun>(db.prepare(RECONCILE_SQL.runningManualRuns).bind(limit));
}

/**
 * A manual run listed one more window, [from, listedTo]: its counts grow and its progress moves
 * to `listedTo`, but only if its progress was still `from` (`listed_to`, or null before the
 * first window). False when another invocation recorded that window first: its counts are then
 * not added twice (the events themselves are deduplicated anyway).
 */
export async function recordManualProgress(
  db: D1Database,
  id: string,
  step: {
    previous: number | null;
    listedTo: number;
    ordersListed: number;
    missed: number;
    skippedRows: number;
    skippedSamples: readonly unknown[];
  },
): Promise<boolean> {
  const result = await db
    .prepare(
      `UPDATE reconcile_runs SET listed_to = ?3, orders_listed = orders_listed + ?4, missed = missed + ?5,
         skipped_rows = skipped_rows + ?6, skipped_samples = COALESCE(skipped_samples, ?7)
       WHERE id = ?1 AND status = 'running' AND listed_to IS ?2`,
    )
    .bind(
      id,
      step.previous,
      step.listedTo,
      step.ordersListed,
      step.missed,
      step.skippedRows,
      samplesJson(step.skippedSamples),
    )
    .run();
  return result.meta.changes === 1;
}

/** Ends a manual run, keeping the counts its windows added (a failed window adds what it listed). */
export async function endManualRun(
  db: D1Database,
  id: string,
  outcome: {
    status: "done" | "failed";
    error: string | null;
    finishedAt: number;
    ordersListed: number;
    missed: number;
    skippedRows: number;
    skippedSamples: readonly unknown[];
  },
): Promise<void> {
  await db
    .prepare(
      `UPDATE reconcile_runs SET status = ?2, error = ?3, finished_at = ?4,
         orders_listed = orders_listed + ?5, missed = missed + ?6,
         skipped_rows = skipped_rows + ?7, skipped_samples = COALESCE(skipped_samples, ?8)
       WHERE id = ?1 AND status = 'running'`,
    )
    .bind(
      id,
      outcome.status,
      outcome.error,
      outcome.finishedAt,
      outcome.ordersListed,
      outcome.missed,
      outcome.skippedRows,
      samplesJson(outcome.skippedSamples),
    )
    .run();
}

/** Runs still `running` that began before `startedBeforeId` were cut off: failed, so they do not stay running. */
export async function failAbandonedRuns(db: D1Database, startedBeforeId: string, at: number): Promise<number> {
  const result = await db
    .prepare(
      `UPDATE reconcile_runs SET status = 'failed', finished_at = ?2,
         error = 'abandoned: the invocation ended before the run finished'
       WHERE id IN (${RECONCILE_SQL.abandonedRuns})`,
    )
    .bind(startedBeforeId, at)
    .run();
  return result.meta.changes;
}

export async function latestCronRunStartedAt(db: D1Database): Promise<number | null> {
  const row = await db.prepare(RECONCILE_SQL.latestCronRun).first<{ started_at: number }>();
  return row?.started_at ?? null;
}

/* ---- Figures ---- */

/** Listed and missed changes summed over the runs (periodic and manual) done since `sinceId` (a primary-key range). */
export async function sumRunsSince(db: D1Database, sinceId: string): Promise<{ listed: number; missed: number }> {
  const row = await db.prepare(RECONCILE_SQL.sumRuns).bind(sinceId).first<{ listed: number; missed: number }>();
  return { listed: row?.listed ?? 0, missed: row?.missed ?? 0 };
}
