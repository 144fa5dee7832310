/** The SQL over many deliveries that forwarding runs: the sweeper, manual retries, the health check. */
import type { DeliveryStatus } from "./deliveries";
import { CONFIG_OFF_REASON, DEFAULT_DESTINATION_ID } from "./destinations";

/** Statements the query-plan test explains: the sweeper's and the health check's. */
export const DELIVERY_SQL = {
  takeOverdue: `UPDATE deliveries SET next_attempt_at = ?2
    WHERE id IN (SELECT d.id FROM deliveries d INDEXED BY deliveries_due
                   JOIN destinations t ON t.id = d.destination_id AND t.state = 'active'
                 WHERE d.status = 'pending' AND d.next_attempt_at < ?1
                 ORDER BY d.next_attempt_at LIMIT ?3)
    RETURNING id`,
  failingPending: `SELECT DISTINCT destination_id FROM deliveries INDEXED BY deliveries_due
    WHERE status = 'pending' AND attempts >= ?1`,
  failedLately: `SELECT DISTINCT destination_id FROM deliveries INDEXED BY deliveries_by_last_attempt
    WHERE status = 'failed' AND last_attempt_at >= ?1`,
} as const;

/**
 * Pending deliveries of active destinations whose next attempt was due before `dueBefore` (a lost
 * message, a crashed attempt, a destination resumed), oldest first: marks them due again at `now`
 * (so the next sweep waits) and returns them. A paused or disabled destination's deliveries wait.
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

export type ReopenOutcome = { previous: DeliveryStatus; destinationOff: boolean };

/**
 * A manual retry: a `failed` delivery back to `pending`, due at `now` and tried until
 * `retryUntil`; attempts and the last error are kept as history. Refused (left `failed`) when its
 * destination is gone or is the default one while FORWARD_URL is unset (`destinationOff`); a
 * paused or disabled destination's delivery waits for its resume. Returns the status it had, or
 * null when there is no such delivery. Read and update run in one batch (one transaction).
 */
export async function reopenDelivery(
  db: D1Database,
  id: string,
  now: number,
  retryUntil: number,
): Promise<ReopenOutcome | null> {
  const live = (reason: string) => `EXISTS (SELECT 1 FROM destinations t WHERE t.id = d.destination_id
    AND NOT (t.id = '${DEFAULT_DESTINATION_ID}' AND t.state = 'paused' AND t.disabled_reason IS ${reason}))`;
  const [before] = await db.batch<{ status: DeliveryStatus; live: number }>([
    db.prepare(`SELECT d.status, ${live("?2")} AS live FROM deliveries d WHERE d.id = ?1`).bind(id, CONFIG_OFF_REASON),
    db
      .prepare(
        `UPDATE deliveries AS d SET status = 'pending', next_attempt_at = ?2, retry_until = ?3
         WHERE d.id = ?1 AND d.status = 'failed' AND ${live("?4")}`,
      )
      .bind(id, now, retryUntil, CONFIG_OFF_REASON),
  ]);
  const row = before?.results[0];
  return row === undefined ? null : { previous: row.status, destinationOff: row.live === 0 };
}

/** Every `failed` delivery of a destination back to `pending`, due now, for another window. Returns their ids. */
export async function reopenFailedDeliveries(
  db: D1Database,
  destinationId: string,
  now: number,
  retryUntil: number,
): Promise<string[]> {
  const { results } = await db
    .prepare(
      `UPDATE deliveries SET status = 'pending', next_attempt_at = ?2, retry_until = ?3
       WHERE destination_id = ?1 AND status = 'failed' RETURNING id`,
    )
    .bind(destinationId, now, retryUntil)
    .all<{ id: string }>();
  return results.map((row) => row.id);
}

export const FAILING_ATTEMPTS = 3;
export const FAILING_WINDOW_MS = 3_600_000;

/**
 * The destinations whose deliveries are failing now: a pending delivery with at least 3 failed
 * attempts (refused for a few minutes at least), or a delivery that ended `failed` within the
 * last hour. Which of them count is the caller's to say (not a paused one, say).
 */
export async function destinationsWithFailingDeliveries(db: D1Database, now: number): Promise<Set<string>> {
  const [pending, failed] = await db.batch<{ destination_id: string }>([
    db.prepare(DELIVERY_SQL.failingPending).bind(FAILING_ATTEMPTS),
    db.prepare(DELIVERY_SQL.failedLately).bind(now - FAILING_WINDOW_MS),
  ]);
  return new Set([...(pending?.results ?? []), ...(failed?.results ?? [])].map((row) => row.destination_id));
}
