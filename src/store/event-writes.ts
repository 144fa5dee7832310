/**
 * The writes of the push path on the `events` table, and the retention purge. Other modules call
 * these functions and never write SQL; statements are plain `prepare().bind()`, which D1 caches
 * by text.
 */
import type { EventStatus, NewEvent } from "../events/vocabulary";
import { INSERT_EVENT_COLUMNS, INSERT_EVENT_PLACEHOLDERS, insertValues } from "./event-columns";

export type InsertOutcome = { inserted: true; id: string } | { inserted: false; id: string; status: EventStatus };

const INSERT_SQL = `INSERT INTO events (${INSERT_EVENT_COLUMNS}) VALUES (${INSERT_EVENT_PLACEHOLDERS})
  ON CONFLICT (dedupe_key) DO NOTHING
  RETURNING id`;

/**
 * Inserts the event unless its dedupe key is already stored. The unique constraint on
 * `dedupe_key` is the durable backstop of dedupe: whatever the claims say, one key, one row.
 */
export async function insertEvent(db: D1Database, row: NewEvent): Promise<InsertOutcome> {
  const inserted = await db
    .prepare(INSERT_SQL)
    .bind(...insertValues(row))
    .first<{ id: string }>();
  if (inserted) return { inserted: true, id: inserted.id };
  const existing = await findEventByDedupeKey(db, row.dedupe_key);
  if (!existing) throw new Error("insert conflicted but no row holds the dedupe key");
  return { inserted: false, id: existing.id, status: existing.status };
}

export function findEventByDedupeKey(db: D1Database, dedupeKey: string) {
  return db
    .prepare("SELECT id, status FROM events WHERE dedupe_key = ?1")
    .bind(dedupeKey)
    .first<{ id: string; status: EventStatus }>();
}

/** Deletes up to `limit` events with an id below `idBound` (older than the retention cutoff). */
export async function purgeEventsBefore(db: D1Database, idBound: string, limit: number): Promise<number> {
  const result = await db
    .prepare("DELETE FROM events WHERE id IN (SELECT id FROM events WHERE id < ?1 ORDER BY id LIMIT ?2)")
    .bind(idBound, limit)
    .run();
  return result.meta.changes;
}
