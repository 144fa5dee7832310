/** The push path's write on the `events` table: insert once per dedupe key. */
import type { EventStatus, NewEvent } from "../events/vocabulary";
import { INSERT_EVENT_COLUMNS, INSERT_EVENT_PLACEHOLDERS, insertValues } from "./event-columns";

export type InsertOutcome = { inserted: true; id: string } | { inserted: false; id: string; status: EventStatus };

const INSERT_SQL = `INSERT INTO events (${INSERT_EVENT_COLUMNS}) VALUES (${INSERT_EVENT_PLACEHOLDERS})
  ON CONFLICT (dedupe_key) DO NOTHING
  RETURNING id`;
const FIND_BY_KEY_SQL = "SELECT id, status FROM events WHERE dedupe_key = ?1";

/**
 * Inserts the event unless its dedupe key is already stored, and reads back the row that holds
 * the key, in one round trip (a batch runs as one transaction). The unique constraint on
 * `dedupe_key` is the durable truth of dedupe: one key, one row. A duplicate writes nothing.
 */
export async function insertEvent(db: D1Database, row: NewEvent): Promise<InsertOutcome> {
  const [inserted, holder] = await db.batch([
    db.prepare(INSERT_SQL).bind(...insertValues(row)),
    db.prepare(FIND_BY_KEY_SQL).bind(row.dedupe_key),
  ]);
  const id = (inserted?.results[0] as { id: string } | undefined)?.id;
  if (id !== undefined) return { inserted: true, id };
  const existing = holder?.results[0] as { id: string; status: EventStatus } | undefined;
  if (!existing) throw new Error("insert conflicted but no row holds the dedupe key");
  return { inserted: false, id: existing.id, status: existing.status };
}
