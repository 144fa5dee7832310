/**
 * All SQL on `archive_objects` (migration 0017): the record of every object retention wrote to
 * ARCHIVE, and the read of events together with their order's snapshot, as the archive keeps them.
 */
import { EVENT_COLUMNS } from "../events/vocabulary";
import type { StoredEventRow } from "./event-columns";
import { rowsOf } from "./rows";

/** `writing` while its events are still in D1; `written` once they are gone (same transaction). */
export type ArchiveObjectState = "writing" | "written";

export type ArchiveObjectRow = {
  key: string;
  day: string;
  first_id: string;
  last_id: string;
  count: number;
  bytes: number;
  created_at: number;
  state: ArchiveObjectState;
  run_id: string;
};

/** A stored event with its order's snapshot as it stands (null without one). */
export type ArchivableEventRow = StoredEventRow & { order_data: string | null; order_fetched_at: number | null };

/** The SELECT list and FROM of `ArchivableEventRow`: events `e` with the snapshot of their order. */
export const ARCHIVABLE_SELECT = `${EVENT_COLUMNS.map((column) => `e.${column}`).join(", ")},
  r.data AS order_data, r.fetched_at AS order_fetched_at`;
export const ARCHIVABLE_FROM = "events e LEFT JOIN resources r ON r.type = 'order' AND r.id = e.order_number";

/** The statements, by name, so the query-plan test explains exactly what runs. */
export const ARCHIVE_SQL = {
  /**
   * A `writing` record of the key, or this run's takeover of one a stopped run left (the lease
   * makes this the only run); a `written` one is never touched (RETURNING gives nothing).
   */
  claim: `INSERT INTO archive_objects (key, day, first_id, last_id, count, bytes, created_at, state, run_id)
    VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 'writing', ?8)
    ON CONFLICT (key) DO UPDATE SET count = excluded.count, bytes = excluded.bytes,
      created_at = excluded.created_at, run_id = excluded.run_id
    WHERE archive_objects.state = 'writing'
    RETURNING key`,
  markWritten: "UPDATE archive_objects SET state = 'written' WHERE key = ?1 AND run_id = ?2 AND state = 'writing'",
  unfinished: `SELECT * FROM archive_objects INDEXED BY archive_objects_writing
    WHERE state = 'writing' AND run_id <> ?1 LIMIT ?2`,
  forget: "DELETE FROM archive_objects WHERE key = ?1 AND state = 'writing'",
  byDays: `SELECT * FROM archive_objects WHERE day >= ?1 AND day <= ?2 AND state = 'written'
    ORDER BY day, first_id LIMIT ?3`,
  daySums: `SELECT day, COUNT(*) AS objects, SUM(count) AS events, SUM(bytes) AS bytes FROM archive_objects
    WHERE day >= ?1 AND day <= ?2 AND state = 'written' GROUP BY day ORDER BY day DESC`,
  one: "SELECT * FROM archive_objects WHERE key = ?1 AND state = 'written'",
  liveEvents: `SELECT ${ARCHIVABLE_SELECT} FROM ${ARCHIVABLE_FROM}
    WHERE e.id >= ?1 AND e.id < ?2 AND e.id > ?3 AND e.source <> 'selftest' ORDER BY e.id LIMIT ?4`,
} as const;

/** The record of an object about to be written. */
export type NewArchiveObject = Omit<ArchiveObjectRow, "state">;

/**
 * Records an object as `writing` before it is written, so a run that stops after writing it
 * leaves a trace the next run cleans up. False when the key is already `written`.
 */
export async function claimArchiveObject(db: D1Database, row: NewArchiveObject): Promise<boolean> {
  const claimed = await db
    .prepare(ARCHIVE_SQL.claim)
    .bind(row.key, row.day, row.first_id, row.last_id, row.count, row.bytes, row.created_at, row.run_id)
    .first<{ key: string }>();
  return claimed !== null;
}

/** The write that makes a claimed object `written`: run in the batch that deletes its events. */
export function markWrittenStatement(db: D1Database, key: string, runId: string): D1PreparedStatement {
  return db.prepare(ARCHIVE_SQL.markWritten).bind(key, runId);
}

/** `writing` records left by runs other than `runId` (stopped half-way), up to `limit`. */
export function listUnfinishedObjects(db: D1Database, runId: string, limit: number): Promise<ArchiveObjectRow[]> {
  return rowsOf<ArchiveObjectRow>(db.prepare(ARCHIVE_SQL.unfinished).bind(runId, limit));
}

/** Drops a `writing` record (its object deleted first, or never written). */
export async function forgetUnfinishedObject(db: D1Database, key: string): Promise<void> {
  await db.prepare(ARCHIVE_SQL.forget).bind(key).run();
}

/** Written objects filed under days `fromDay` … `toDay` (yyyy-mm-dd, inclusive), by day then id. */
export function listArchiveObjects(
  db: D1Database,
  fromDay: string,
  toDay: string,
  limit: number,
): Promise<ArchiveObjectRow[]> {
  return rowsOf<ArchiveObjectRow>(db.prepare(ARCHIVE_SQL.byDays).bind(fromDay, toDay, limit));
}

export type ArchiveDaySums = { day: string; objects: number; events: number; bytes: number };

/** Per day of `fromDay` … `toDay`: written objects, their events and bytes; newest day first. */
export function sumArchiveDays(db: D1Database, fromDay: string, toDay: string): Promise<ArchiveDaySums[]> {
  return rowsOf<ArchiveDaySums>(db.prepare(ARCHIVE_SQL.daySums).bind(fromDay, toDay));
}

/** One written object's record, or null. */
export function getArchiveObject(db: D1Database, key: string): Promise<ArchiveObjectRow | null> {
  return db.prepare(ARCHIVE_SQL.one).bind(key).first<ArchiveObjectRow>();
}

/**
 * Events still in D1 with ids in [`fromId`, `toId`) after `afterId`, oldest first, with their
 * order's snapshot; self-test pushes are left out, as the archive leaves them out.
 */
export function listLiveEvents(
  db: D1Database,
  bounds: { fromId: string; toId: string; afterId: string },
  limit: number,
): Promise<ArchivableEventRow[]> {
  return rowsOf<ArchivableEventRow>(
    db.prepare(ARCHIVE_SQL.liveEvents).bind(bounds.fromId, bounds.toId, bounds.afterId, limit),
  );
}
