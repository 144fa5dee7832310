/**
 * The SQL of a delivery's attempts: one row per delivery of a settled event to a destination.
 * Deliveries are created only by the destinations' walk (store/destination-walk.ts); lists,
 * the sweeper and manual retries are in store/delivery-lists.ts.
 */
import type { EventSummaryRow } from "../events/vocabulary";
import { destinationFailedStatements, destinationSucceededStatements } from "./destination-health";
import type { DestinationRow } from "./destinations";
import { decodeEventRow, type StoredEventSummary, SUMMARY_SELECT } from "./event-columns";

/**
 * `pending` -> `delivered` | `failed`; `failed` -> `pending` again by hand; `pending` ->
 * `cancelled` when its destination is deleted.
 */
export const DELIVERY_STATUSES = ["pending", "delivered", "failed", "cancelled"] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];

/**
 * A delivery as stored. Every write of an attempt's outcome is guarded by `status = 'pending'`, so
 * a repeated or late queue message cannot undo a delivery already decided.
 */
export type DeliveryRow = {
  id: string;
  destination_id: string;
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

export type DeliveryAttempt = {
  delivery: DeliveryRow;
  destination: DestinationRow;
  event: EventSummaryRow | null;
  /** The push body as stored, for a destination of the `raw` format (else null). */
  payload: string | null;
  /** The order's detail snapshot (JSON). */
  order: string | null;
  /** The order list's row of the order (JSON) when a listing newer than the snapshot settled one of its events, else null. */
  summary: string | null;
};

const DELIVERY_OF_ID = "(SELECT event_id FROM deliveries WHERE id = ?1)";
const DESTINATION_OF_ID = "(SELECT destination_id FROM deliveries WHERE id = ?1)";

/**
 * Takes the next attempt of a pending delivery that is due (its next attempt at or before
 * `dueBy`) and whose destination is active: moves next_attempt_at to `leaseUntil`, so a copy of
 * the message arriving meanwhile finds it not due and leaves it alone, and the sweeper picks it up
 * only if this attempt never records its outcome. Loads its destination, the event summary (and
 * the push body for a `raw` destination) and the order's snapshot in the same round trip, after
 * `before` (the default destination's sync with the config). Null when the delivery is not
 * pending, not due, unknown, or its destination is paused or disabled (it waits, no attempt counted).
 */
export async function claimDeliveryAttempt(
  db: D1Database,
  id: string,
  window: { dueBy: number; leaseUntil: number },
  before: D1PreparedStatement[] = [],
): Promise<DeliveryAttempt | null> {
  const results = await db.batch([
    ...before,
    db
      .prepare(
        `UPDATE deliveries SET next_attempt_at = ?3
         WHERE id = ?1 AND status = 'pending' AND next_attempt_at <= ?2
           AND EXISTS (SELECT 1 FROM destinations t WHERE t.id = deliveries.destination_id AND t.state = 'active')
         RETURNING *`,
      )
      .bind(id, window.dueBy, window.leaseUntil),
    db.prepare(`SELECT * FROM destinations WHERE id = ${DESTINATION_OF_ID}`).bind(id),
    db
      .prepare(
        `SELECT ${SUMMARY_SELECT},
           CASE WHEN (SELECT format FROM destinations WHERE id = ${DESTINATION_OF_ID}) = 'raw' THEN payload END AS raw_payload
         FROM events WHERE id = ${DELIVERY_OF_ID}`,
      )
      .bind(id),
    db
      .prepare(
        `SELECT data, CASE WHEN summary_at > fetched_at THEN summary END AS summary FROM resources
         WHERE type = 'order' AND id = (SELECT order_number FROM events WHERE id = ${DELIVERY_OF_ID})`,
      )
      .bind(id),
  ]);
  const [claimed, destination, event, order] = results.slice(before.length);
  const delivery = claimed?.results[0] as DeliveryRow | undefined;
  const target = destination?.results[0] as DestinationRow | undefined;
  if (!delivery || !target) return null;
  const stored = event?.results[0] as (StoredEventSummary & { raw_payload: string | null }) | undefined;
  if (!stored) return { delivery, destination: target, event: null, payload: null, order: null, summary: null };
  const { raw_payload: payload, ...eventSummary } = stored;
  const snapshot = order?.results[0] as { data: string; summary: string | null } | undefined;
  return {
    delivery,
    destination: target,
    event: decodeEventRow(eventSummary),
    payload,
    order: snapshot?.data ?? null,
    summary: snapshot?.summary ?? null,
  };
}

/** The delivery an outcome is written for. */
export type DeliveryRef = Pick<DeliveryRow, "id" | "destination_id">;

/**
 * A 2xx answer: `delivered`, one more attempt, error cleared; and on its destination, the end of
 * any failing streak and one more delivered in the hour. The destination's writes are chained on
 * `changes()`: a repeated message that finds the delivery decided already counts nothing.
 */
export async function markDelivered(db: D1Database, delivery: DeliveryRef, at: number, statusCode: number) {
  await db.batch([
    db
      .prepare(
        `UPDATE deliveries SET status = 'delivered', attempts = attempts + 1, last_status_code = ?3, last_error = NULL,
           next_attempt_at = NULL, last_attempt_at = ?2, delivered_at = ?2
         WHERE id = ?1 AND status = 'pending'`,
      )
      .bind(delivery.id, at, statusCode),
    ...destinationSucceededStatements(db, delivery.destination_id, at),
  ]);
}

/**
 * A failed attempt: one more attempt, its status code (null without an answer) and error; then
 * either the next attempt's time, or `failed` when `nextAttemptAt` is null. On its destination:
 * the failing streak (since the first failure after the last success), the error, one more failed
 * attempt in the hour; chained like `markDelivered`'s.
 */
export async function recordFailedAttempt(
  db: D1Database,
  delivery: DeliveryRef,
  outcome: { at: number; statusCode: number | null; error: string; nextAttemptAt: number | null },
): Promise<void> {
  await db.batch([
    db
      .prepare(
        `UPDATE deliveries SET attempts = attempts + 1, last_status_code = ?3, last_error = ?4, last_attempt_at = ?2,
           next_attempt_at = ?5, status = CASE WHEN ?5 IS NULL THEN 'failed' ELSE 'pending' END
         WHERE id = ?1 AND status = 'pending'`,
      )
      .bind(delivery.id, outcome.at, outcome.statusCode, outcome.error, outcome.nextAttemptAt),
    ...destinationFailedStatements(db, delivery.destination_id, outcome.at, outcome.error),
  ]);
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
