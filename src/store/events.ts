/**
 * All SQL on the `events` table. Other modules call these functions and never write SQL.
 * Statements are plain `prepare().bind()`: D1 caches prepared statements by text.
 */
export type EventStatus = "received" | "processed" | "skipped" | "failed" | "invalid";

export type EventRow = {
  id: string;
  dedupe_key: string;
  request_id: string | null;
  event: string | null;
  category: string;
  seller_id: string | null;
  resource_type: string | null;
  resource_id: string | null;
  order_number: string | null;
  status: EventStatus;
  attempts: number;
  last_error: string | null;
  signature_valid: number | null;
  received_at: number;
  processed_at: number | null;
  payload: string;
};

export type NewEvent = Omit<EventRow, "attempts" | "last_error" | "processed_at">;

/** Columns returned where the payload is not wanted (lists, timelines). */
export const SUMMARY_COLUMNS =
  "id, dedupe_key, request_id, event, category, seller_id, resource_type, resource_id, order_number, status, attempts, last_error, signature_valid, received_at, processed_at";

export type EventSummary = Omit<EventRow, "payload">;

export type InsertOutcome = { inserted: true; id: string } | { inserted: false; id: string; status: EventStatus };

/**
 * Inserts the event unless its dedupe key is already stored. The unique constraint on
 * `dedupe_key` is the durable backstop of dedupe: whatever the claims say, one key, one row.
 */
export async function insertEvent(db: D1Database, row: NewEvent): Promise<InsertOutcome> {
  const inserted = await db
    .prepare(
      `INSERT INTO events (id, dedupe_key, request_id, event, category, seller_id, resource_type, resource_id,
         order_number, status, signature_valid, received_at, payload)
       VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)
       ON CONFLICT (dedupe_key) DO NOTHING
       RETURNING id`,
    )
    .bind(
      row.id,
      row.dedupe_key,
      row.request_id,
      row.event,
      row.category,
      row.seller_id,
      row.resource_type,
      row.resource_id,
      row.order_number,
      row.status,
      row.signature_valid,
      row.received_at,
      row.payload,
    )
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

export function getEvent(db: D1Database, id: string) {
  return db.prepare("SELECT * FROM events WHERE id = ?1").bind(id).first<EventRow>();
}
