/** All SQL on the `deliveries` table: one row per delivery of a settled event to FORWARD_URL. */
import type { EventSummaryRow } from "../events/vocabulary";
import { decodeEventRow, type StoredEventSummary, SUMMARY_SELECT } from "./event-columns";

/** `pending` -> `delivered` | `failed`; `failed` -> `pending` again by hand. */
export const DELIVERY_STATUSES = ["pending", "delivered", "failed"] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];

/**
 * A delivery as stored. Every write of an attempt's outcome is guarded by `status = 'pending'`, so
 * a repeated or late queue message cannot undo a delivery already decided.
 */
export type DeliveryRow = {
  id: string;
  event_id: string;
  settlement: string;
  status: DeliveryStatus;
  attempts: number;
  last_status_code: number | null;
  last_error: string | null;
  next_attempt_at: number | null;
  last_attempt_at: number | null;
  retry_until: number;
  delivered_at: number | null;
  created_at: number;
};

/** The statuses after which an event is forwarded. */
export const SETTLED = "('processed', 'skipped', 'failed')";

/**
 * The settlement key of an event row `e`: its status and its change-feed `seq`. Every status
 * change takes a new `seq`, so a replay that settles the event again (even failing exactly as
 * before, same attempts and processed_at) has a new key, while asking twice for one settlement
 * finds the same key.
 */
export const SETTLEMENT_OF_E = "e.status || ':' || e.seq";

/**
 * A pending delivery for each event that has settled, unless this settlement of it already has
 * one (the unique (event_id, settlement) key makes a repeat a no-op). Returns the ids created.
 */
export async function createDeliveries(
  db: D1Database,
  items: { id: string; eventId: string }[],
  now: number,
  retryUntil: number,
): Promise<string[]> {
  if (items.length === 0) return [];
  const results = await db.batch<{ id: string }>(createDeliveryStatements(db, items, now, retryUntil));
  return results.flatMap((result) => result.results.map((row) => row.id));
}

/** The inserts of `createDeliveries`, for a caller that adds a write of its own to the batch. */
export function createDeliveryStatements(
  db: D1Database,
  items: { id: string; eventId: string }[],
  now: number,
  retryUntil: number,
): D1PreparedStatement[] {
  return items.map((item) =>
    db
      .prepare(
        `INSERT INTO deliveries (id, event_id, settlement, status, attempts, next_attempt_at, retry_until, created_at)
         SELECT ?1, e.id, ${SETTLEMENT_OF_E}, 'pending', 0, ?3, ?4, ?3
         FROM events e WHERE e.id = ?2 AND e.status IN ${SETTLED}
         ON CONFLICT (event_id, settlement) DO NOTHING
         RETURNING id`,
      )
      .bind(item.id, item.eventId, now, retryUntil),
  );
}

/**
 * `order`: the order's detail snapshot (JSON); `summary`: the order list's row of it (JSON) when a
 * listing newer than the snapshot settled one of its events, else null.
 */
export type DeliveryAttempt = {
  delivery: DeliveryRow;
  event: EventSummaryRow | null;
  order: string | null;
  summary: string | null;
};

/**
 * Takes the next attempt of a pending delivery that is due (its next attempt at or before
 * `dueBy`): moves next_attempt_at to `leaseUntil`, so a copy of the message arriving meanwhile
 * finds it not due and leaves it alone, and the sweeper picks it up only if this attempt never
 * records its outcome. Loads the event summary and its order's snapshot in the same round trip.
 * Null when the delivery is not pending, not due, or unknown.
 */
export async function claimDeliveryAttempt(
  db: D1Database,
  id: string,
  dueBy: number,
  leaseUntil: number,
): Promise<DeliveryAttempt | null> {
  const [claimed, event, order] = await db.batch([
    db
      .prepare(
        `UPDATE deliveries SET next_attempt_at = ?3
         WHERE id = ?1 AND status = 'pending' AND next_attempt_at <= ?2 RETURNING *`,
      )
      .bind(id, dueBy, leaseUntil),
    db
      .prepare(`SELECT ${SUMMARY_SELECT} FROM events WHERE id = (SELECT event_id FROM deliveries WHERE id = ?1)`)
      .bind(id),
    db
      .prepare(
        `SELECT data, CASE WHEN summary_at > fetched_at THEN summary END AS summary FROM resources
         WHERE type = 'order' AND id =
           (SELECT order_number FROM events WHERE id = (SELECT event_id FROM deliveries WHERE id = ?1))`,
      )
      .bind(id),
  ]);
  const delivery = claimed?.results[0] as DeliveryRow | undefined;
  if (!delivery) return null;
  const stored = event?.results[0] as StoredEventSummary | undefined;
  return {
    delivery,
    event: stored ? decodeEventRow(stored) : null,
    order: (order?.results[0] as { data: string } | undefined)?.data ?? null,
    summary: (order?.results[0] as { summary: string | null } | undefined)?.summary ?? null,
  };
}

/** A 2xx answer: `delivered`, one more attempt, error cleared. */
export async function markDelivered(db: D1Database, id: string, at: number, statusCode: number): Promise<void> {
  await db
    .prepare(
      `UPDATE deliveries SET status = 'delivered', attempts = attempts + 1, last_status_code = ?3, last_error = NULL,
         next_attempt_at = NULL, last_attempt_at = ?2, delivered_at = ?2
       WHERE id = ?1 AND status = 'pending'`,
    )
    .bind(id, at, statusCode)
    .run();
}

/**
 * A failed attempt: one more attempt, its status code (null without an answer) and error; then
 * either the next attempt's time, or `failed` when `nextAttemptAt` is null.
 */
export async function recordFailedAttempt(
  db: D1Database,
  id: string,
  outcome: { at: number; statusCode: number | null; error: string; nextAttemptAt: number | null },
): Promise<void> {
  await db
    .prepare(
      `UPDATE deliveries SET attempts = attempts + 1, last_status_code = ?3, last_error = ?4, last_attempt_at = ?2,
         next_attempt_at = ?5, status = CASE WHEN ?5 IS NULL THEN 'failed' ELSE 'pending' END
       WHERE id = ?1 AND status = 'pending'`,
    )
    .bind(id, outcome.at, outcome.statusCode, outcome.error, outcome.nextAttemptAt)
    .run();
}

/** The next attempt moved to `nextAttemptAt` without counting one (nothing was sent). */
export async function postponeDelivery(db: D1Database, id: string, nextAttemptAt: number): Promise<void> {
  await db
    .prepare("UPDATE deliveries SET next_attempt_at = ?2 WHERE id = ?1 AND status = 'pending'")
    .bind(id, nextAttemptAt)
    .run();
}

/** Nothing can be sent (the event is gone, or never settled again in time): `failed` with the reason, no attempt counted. */
export async function markDeliveryFailed(db: D1Database, id: string, error: string): Promise<void> {
  await db
    .prepare(
      `UPDATE deliveries SET status = 'failed', last_error = ?2, next_attempt_at = NULL
       WHERE id = ?1 AND status = 'pending'`,
    )
    .bind(id, error)
    .run();
}

/** Statements the query-plan test explains: the sweeper's and the health check's. */
export const DELIVERY_SQL = {
  takeOverdue: `UPDATE deliveries SET next_attempt_at = ?2
    WHERE id IN (SELECT id FROM deliveries WHERE status = 'pending' AND next_attempt_at < ?1
                 ORDER BY next_attempt_at LIMIT ?3)
    RETURNING id`,
  failing: `SELECT 1 AS failing WHERE
    EXISTS (SELECT 1 FROM deliveries WHERE status = 'pending' AND attempts >= ?1)
    OR EXISTS (SELECT 1 FROM deliveries WHERE status = 'failed' AND last_attempt_at >= ?2)`,
} as const;

/**
 * Pending deliveries whose next attempt was due before `dueBefore` (a lost message, a crashed
 * attempt), oldest first: marks them due again at `now` (so the next sweep waits) and returns them.
 */
export async function takeOverdueDeliveries(
  db: D1Database,
  dueBefore: number,
  now: number,
  limit: number,
): Promise<string[]> {
  const { results } = await db.prepare(DELIVERY_SQL.takeOverdue).bind(dueBefore, now, limit).all<{ id: string }>();
  return results.map((row) => row.id);
}

/**
 * A manual retry: a `failed` delivery back to `pending`, due at `now` and tried until
 * `retryUntil`; attempts and the last error are kept as history. Returns the status it had, or
 * null when there is no such delivery. Read and update run in one batch (one transaction).
 */
export async function reopenDelivery(
  db: D1Database,
  id: string,
  now: number,
  retryUntil: number,
): Promise<{ previous: DeliveryStatus } | null> {
  const [before] = await db.batch<{ status: DeliveryStatus }>([
    db.prepare("SELECT status FROM deliveries WHERE id = ?1").bind(id),
    db
      .prepare(
        `UPDATE deliveries SET status = 'pending', next_attempt_at = ?2, retry_until = ?3
         WHERE id = ?1 AND status = 'failed'`,
      )
      .bind(id, now, retryUntil),
  ]);
  const previous = before?.results[0]?.status;
  return previous === undefined ? null : { previous };
}

export type DeliveryListQuery = {
  status?: DeliveryStatus | undefined;
  event_id?: string | undefined;
  limit: number;
  /** The id of the last delivery of the previous page (exclusive bound); newest first. */
  cursor?: string | undefined;
};

/** The SQL of one list page (one row more than the page, to tell whether another follows). */
export function deliveryListStatement(query: DeliveryListQuery): { sql: string; params: (string | number)[] } {
  const where: string[] = [];
  const params: (string | number)[] = [];
  const add = (condition: string, value: string | undefined) => {
    if (value === undefined) return;
    params.push(value);
    where.push(`${condition} ?${params.length}`);
  };
  add("status =", query.status);
  add("event_id =", query.event_id);
  add("id <", query.cursor);
  params.push(query.limit + 1);
  const filter = where.length ? ` WHERE ${where.join(" AND ")}` : "";
  return { sql: `SELECT * FROM deliveries${filter} ORDER BY id DESC LIMIT ?${params.length}`, params };
}

/** One page, newest first; `next_cursor` is the last id when more follow, else null. */
export async function listDeliveries(
  db: D1Database,
  query: DeliveryListQuery,
): Promise<{ deliveries: DeliveryRow[]; next_cursor: string | null }> {
  const { sql, params } = deliveryListStatement(query);
  const { results } = await db
    .prepare(sql)
    .bind(...params)
    .all<DeliveryRow>();
  const deliveries = results.slice(0, query.limit);
  return { deliveries, next_cursor: results.length > query.limit ? (deliveries.at(-1)?.id ?? null) : null };
}

export const FAILING_ATTEMPTS = 3;
export const FAILING_WINDOW_MS = 3_600_000;

/**
 * Whether forwarding is failing now: a pending delivery with at least 3 failed attempts (the
 * destination has been refusing it for a few minutes at least), or a delivery that ended
 * `failed` within the last hour.
 */
export async function deliveriesFailing(db: D1Database, now: number): Promise<boolean> {
  const row = await db
    .prepare(DELIVERY_SQL.failing)
    .bind(FAILING_ATTEMPTS, now - FAILING_WINDOW_MS)
    .first<{ failing: number }>();
  return row !== null;
}

/** Deletes up to `limit` deliveries with an id below `idBound` (older than the retention cutoff). */
export async function purgeDeliveriesBefore(db: D1Database, idBound: string, limit: number): Promise<number> {
  const result = await db
    .prepare("DELETE FROM deliveries WHERE id IN (SELECT id FROM deliveries WHERE id < ?1 ORDER BY id LIMIT ?2)")
    .bind(idBound, limit)
    .run();
  return result.meta.changes;
}

/** Pending deliveries that have failed at least once (the destination is refusing them), newest first. */
export async function listRetryingDeliveries(db: D1Database, limit: number): Promise<DeliveryRow[]> {
  const { results } = await db
    .prepare("SELECT * FROM deliveries WHERE status = 'pending' AND attempts >= 1 ORDER BY id DESC LIMIT ?1")
    .bind(limit)
    .all<DeliveryRow>();
  return results;
}
