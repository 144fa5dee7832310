/**
 * The SQL of the retention policy (src/retention/policy.ts): settle what never finished, pick and
 * delete chunks of events, and the bounded delete of every other kind of row.
 */
import { ARCHIVABLE_FROM, ARCHIVABLE_SELECT, type ArchivableEventRow } from "./archive";
import { rowsOf } from "./rows";

/** Why retention settled an event. */
export const RETENTION_FAILURE = "retention: follow-up never completed before the event's retention ended";

/** "No pending delivery of event `e`"; names its index (left to itself SQLite reads every pending delivery per event). */
const NO_PENDING_DELIVERY = `NOT EXISTS (SELECT 1 FROM deliveries d INDEXED BY deliveries_by_event
  WHERE d.event_id = e.id AND d.status = 'pending')`;

/** Events that may go: received before ?1, settled before ?2, no pending delivery, not a self-test. */
const EVENT_MAY_GO = `e.id < ?1 AND e.status <> 'received' AND e.source <> 'selftest'
  AND COALESCE(e.processed_at, 0) < ?2 AND ${NO_PENDING_DELIVERY}`;

/** The statements, by name, so the query-plan test explains exactly what runs. */
export const RETENTION_SQL = {
  /**
   * A follow-up is idle since it was last scheduled (`next_attempt_at`), else since a replay
   * reopened the event and sent its message (`reopened_at`), else since the event arrived.
   */
  settleUnfinished: `UPDATE events SET status = 'failed', last_error = ?4, processed_at = ?3, next_attempt_at = NULL
    WHERE id IN (SELECT id FROM events WHERE status = 'received' AND id < ?1 AND source <> 'selftest'
                   AND COALESCE(next_attempt_at, reopened_at, received_at) < ?2 ORDER BY id LIMIT ?5)
    RETURNING id`,
  eventChunk: `SELECT ${ARCHIVABLE_SELECT} FROM ${ARCHIVABLE_FROM} WHERE ${EVENT_MAY_GO} ORDER BY e.id LIMIT ?3`,
  eventChunkKeys: `SELECT e.id, e.seq, e.received_at FROM events e WHERE ${EVENT_MAY_GO} ORDER BY e.id LIMIT ?3`,
  /**
   * Fails (CHECK chunk_unchanged), and so rolls back its whole batch, unless every event of the
   * chunk (ids ?1) still has the `seq` it was read with (?2: every status change takes a new,
   * higher seq) and still has no pending delivery. ?3 is the chunk's size.
   */
  chunkGuard: `INSERT INTO retention_guard (ok) SELECT 0 WHERE ?3 <> (SELECT COUNT(*) FROM events e
      WHERE e.id IN (SELECT value FROM json_each(?1)) AND COALESCE(e.seq, -1) IN (SELECT value FROM json_each(?2))
        AND ${NO_PENDING_DELIVERY})`,
  deleteChunk: "DELETE FROM events WHERE id IN (SELECT value FROM json_each(?1))",
  selftestEvents: `DELETE FROM events WHERE id IN (SELECT id FROM events INDEXED BY events_selftest
    WHERE source = 'selftest' AND id < ?1 ORDER BY id LIMIT ?2)`,
  snapshots: `DELETE FROM resources WHERE rowid IN (SELECT rowid FROM resources r WHERE r.fetched_at < ?1
      AND NOT EXISTS (SELECT 1 FROM events e WHERE r.type = 'order' AND e.order_number = r.id)
    ORDER BY r.fetched_at LIMIT ?2)`,
  deliveries: `DELETE FROM deliveries WHERE id IN
    (SELECT id FROM deliveries WHERE status IN ('delivered', 'failed', 'cancelled') AND id < ?1 LIMIT ?2)`,
  reconcileRuns:
    "DELETE FROM reconcile_runs WHERE id IN (SELECT id FROM reconcile_runs WHERE id < ?1 ORDER BY id LIMIT ?2)",
  replays: `DELETE FROM replays WHERE id IN
    (SELECT id FROM replays WHERE id < ?1 AND finished_at IS NOT NULL ORDER BY id LIMIT ?2)`,
  alerts: "DELETE FROM alerts WHERE rowid IN (SELECT rowid FROM alerts WHERE created_at < ?1 LIMIT ?2)",
  retentionRuns: `DELETE FROM retention_runs WHERE id IN
    (SELECT id FROM retention_runs WHERE id < ?1 AND status <> 'running' ORDER BY id LIMIT ?2)`,
} as const;

/** The kinds of row deleted by one bounded statement: `?1` the age bound, `?2` the limit. */
export type BoundedPurge = Exclude<
  keyof typeof RETENTION_SQL,
  "settleUnfinished" | "eventChunk" | "eventChunkKeys" | "chunkGuard" | "deleteChunk"
>;

/**
 * Settles up to `limit` events received before `idBound`, still `received`, whose follow-up has
 * been idle since before `idleBefore` (one in progress, e.g. just replayed, is left to finish):
 * `failed` with RETENTION_FAILURE, `processed_at` = `at`. Self-tests are left alone (they go after
 * a day anyway). Returns their ids.
 */
export async function settleExpiredFollowups(
  db: D1Database,
  idBound: string,
  idleBefore: number,
  at: number,
  limit: number,
): Promise<string[]> {
  const settled = await rowsOf<{ id: string }>(
    db.prepare(RETENTION_SQL.settleUnfinished).bind(idBound, idleBefore, at, RETENTION_FAILURE, limit),
  );
  return settled.map((row) => row.id);
}

/** Which events may go now: received before `idBound`, settled before `settledBefore`. */
export type EventBounds = { idBound: string; settledBefore: number };

/** The oldest events that may go, whole, with their order's snapshot (to archive them). */
export function selectArchivableEvents(
  db: D1Database,
  bounds: EventBounds,
  limit: number,
): Promise<ArchivableEventRow[]> {
  return rowsOf<ArchivableEventRow>(
    db.prepare(RETENTION_SQL.eventChunk).bind(bounds.idBound, bounds.settledBefore, limit),
  );
}

/** An event of a chunk as the delete checks it. */
export type ChunkEvent = { id: string; seq: number | null; received_at: number };

/** The oldest events that may go, only what the delete needs (no archive). */
export function selectEventChunk(db: D1Database, bounds: EventBounds, limit: number): Promise<ChunkEvent[]> {
  return rowsOf<ChunkEvent>(db.prepare(RETENTION_SQL.eventChunkKeys).bind(bounds.idBound, bounds.settledBefore, limit));
}

/**
 * The guard and the delete of a chunk, to run in one batch with `between` in the middle: the
 * batch fails (`isChunkChanged`) and changes nothing when an event changed since it was read.
 */
export function deleteChunkStatements(
  db: D1Database,
  chunk: readonly ChunkEvent[],
  between: readonly D1PreparedStatement[],
): D1PreparedStatement[] {
  const ids = JSON.stringify(chunk.map((event) => event.id));
  const seqs = JSON.stringify(chunk.map((event) => event.seq ?? -1));
  return [
    db.prepare(RETENTION_SQL.chunkGuard).bind(ids, seqs, chunk.length),
    ...between,
    db.prepare(RETENTION_SQL.deleteChunk).bind(ids),
  ];
}

/** Whether a batch failed on the chunk guard (an event changed since it was read). */
export function isChunkChanged(err: unknown): boolean {
  return err instanceof Error && /chunk_unchanged/.test(err.message);
}

/** Deletes up to `limit` rows of `kind` older than `bound` (an id prefix or ms, per kind); returns how many went. */
export async function purgeBounded(
  db: D1Database,
  kind: BoundedPurge,
  bound: string | number,
  limit: number,
): Promise<number> {
  const result = await db.prepare(RETENTION_SQL[kind]).bind(bound, limit).run();
  return result.meta.changes;
}
