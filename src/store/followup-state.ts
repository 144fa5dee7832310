/**
 * The follow-up state machine on the `events` table, for the consumer, the dead-letter consumer,
 * replay and the sweeper. Every follow-up write is guarded by `status = 'received'`, so a
 * repeated or late message cannot undo a decision already taken (at-least-once delivery converges).
 */
import type { EventRow, EventStatus } from "../events/vocabulary";

export type FollowupEvent = Pick<EventRow, "id" | "event" | "category" | "status" | "order_number" | "seller_id">;

/** The events a batch of messages points at (ids passed as one JSON array: no bind limit). */
export async function getFollowupEvents(db: D1Database, ids: string[]): Promise<FollowupEvent[]> {
  const { results } = await db
    .prepare(
      `SELECT id, event, category, status, order_number, seller_id
       FROM events WHERE id IN (SELECT value FROM json_each(?1))`,
    )
    .bind(JSON.stringify(ids))
    .all<FollowupEvent>();
  return results;
}

/** The fetch succeeded: `processed`, one more attempt, error cleared. */
export function markEventsProcessedStatement(db: D1Database, ids: string[], at: number): D1PreparedStatement {
  return db
    .prepare(
      `UPDATE events SET status = 'processed', processed_at = ?2, attempts = attempts + 1, last_error = NULL,
         next_attempt_at = NULL
       WHERE id IN (SELECT value FROM json_each(?1)) AND status = 'received'`,
    )
    .bind(JSON.stringify(ids), at);
}

/** A retryable failure: one more attempt, the error, and when the retry is due. Stays `received`. */
export async function recordFollowupRetry(
  db: D1Database,
  ids: string[],
  error: string,
  nextAttemptAt: number,
): Promise<void> {
  await db
    .prepare(
      `UPDATE events SET attempts = attempts + 1, last_error = ?2, next_attempt_at = ?3
       WHERE id IN (SELECT value FROM json_each(?1)) AND status = 'received'`,
    )
    .bind(JSON.stringify(ids), error, nextAttemptAt)
    .run();
}

/** A permanent failure: `failed` at once, with one more attempt and the error. */
export async function markEventsFailed(db: D1Database, ids: string[], error: string): Promise<void> {
  await db
    .prepare(
      `UPDATE events SET status = 'failed', attempts = attempts + 1, last_error = ?2, next_attempt_at = NULL
       WHERE id IN (SELECT value FROM json_each(?1)) AND status = 'received'`,
    )
    .bind(JSON.stringify(ids), error)
    .run();
}

/** Nothing to fetch for this event: `skipped`, the reason in `last_error` (a batch's skips go in one `db.batch`). */
export function markEventSkippedStatement(db: D1Database, id: string, reason: string, at: number): D1PreparedStatement {
  return db
    .prepare(
      `UPDATE events SET status = 'skipped', processed_at = ?2, last_error = ?3, next_attempt_at = NULL
       WHERE id = ?1 AND status = 'received'`,
    )
    .bind(id, at, reason);
}

/**
 * The queue gave up on the message (dead letter): `failed`, keeping the error of the last
 * attempt when there is one (it says more than "retries exhausted").
 */
export async function markEventDeadLettered(db: D1Database, id: string, fallbackError: string): Promise<boolean> {
  const result = await db
    .prepare(
      `UPDATE events SET status = 'failed', last_error = COALESCE(last_error, ?2), next_attempt_at = NULL
       WHERE id = ?1 AND status = 'received'`,
    )
    .bind(id, fallbackError)
    .run();
  return result.meta.changes > 0;
}

/**
 * Puts an event back to `received` for a replay: `attempts` and `last_error` are kept as history
 * until the replay's own attempt replaces them. `invalid` events have nothing to
 * follow up and are left alone. Returns the status it had, or null when there is no such event.
 * The read and the update run in one batch (one transaction), so the status returned is the one
 * the update replaced.
 */
export async function reopenEventForReplay(
  db: D1Database,
  id: string,
  at: number,
): Promise<{ previous: EventStatus } | null> {
  const [before] = await db.batch<{ status: EventStatus }>([
    db.prepare("SELECT status FROM events WHERE id = ?1").bind(id),
    db
      .prepare(
        `UPDATE events SET status = 'received', processed_at = NULL, next_attempt_at = ?2
         WHERE id = ?1 AND status <> 'invalid'`,
      )
      .bind(id, at),
  ]);
  const previous = before?.results[0]?.status;
  return previous === undefined ? null : { previous };
}

/**
 * Events still `received` whose follow-up is overdue: received before `receivedBeforeId` (an id
 * time bound, so the walk stays on events_by_status) and not (re)scheduled since `dueBefore`.
 */
export async function listOverdueFollowups(
  db: D1Database,
  receivedBeforeId: string,
  dueBefore: number,
  limit: number,
): Promise<string[]> {
  const { results } = await db
    .prepare(
      `SELECT id FROM events
       WHERE status = 'received' AND id < ?1 AND COALESCE(next_attempt_at, received_at) < ?2
       ORDER BY id LIMIT ?3`,
    )
    .bind(receivedBeforeId, dueBefore, limit)
    .all<{ id: string }>();
  return results.map((row) => row.id);
}

/** Notes that a follow-up was just enqueued again (sweep), so the next sweep leaves it alone. */
export async function markFollowupsRescheduled(db: D1Database, ids: string[], at: number): Promise<void> {
  await db
    .prepare(
      `UPDATE events SET next_attempt_at = MAX(COALESCE(next_attempt_at, 0), ?2)
       WHERE id IN (SELECT value FROM json_each(?1)) AND status = 'received'`,
    )
    .bind(JSON.stringify(ids), at)
    .run();
}
