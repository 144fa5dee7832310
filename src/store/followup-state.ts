/**
 * The follow-up state machine on the `events` table, for the consumers, replay and the sweeper.
 * Every write of an outcome is guarded by `status = 'received'` and the generation it was sent for.
 */
import type { EventRow, EventSource, EventStatus } from "../events/vocabulary";
import { rowsOf } from "./rows";

/**
 * One follow-up of one event: the event id and the generation it was sent for. The writes take it
 * so that a repeated or late message cannot undo a decision already taken, nor settle an event a
 * replay has reopened since (at-least-once delivery converges).
 */
export type AttemptRef = { id: string; generation: number };

/**
 * The rows of `?1` (a JSON array of "id:generation"), current generation only. The id part keeps
 * the walk on the primary key; the second test drops rows whose generation moved on.
 */
const CURRENT_ATTEMPTS = `id IN (SELECT substr(value, 1, instr(value, ':') - 1) FROM json_each(?1))
  AND id || ':' || generation IN (SELECT value FROM json_each(?1)) AND status = 'received'`;

function attemptKeys(attempts: readonly AttemptRef[]): string {
  return JSON.stringify(attempts.map((attempt) => `${attempt.id}:${attempt.generation}`));
}

export type FollowupEvent = Pick<EventRow, "id" | "event" | "category" | "status" | "order_number" | "seller_id">;

/**
 * The events are settled by a snapshot: `processed`, error cleared. `fetched`: this attempt made
 * the call (one more attempt, `settled_by = 'detail'`); otherwise a stored snapshot whose fetch
 * started after they arrived already shows them, and no attempt is counted (`'snapshot'`).
 */
export function markEventsProcessedStatement(
  db: D1Database,
  attempts: readonly AttemptRef[],
  at: number,
  { fetched }: { fetched: boolean } = { fetched: true },
): D1PreparedStatement {
  return db
    .prepare(
      `UPDATE events SET status = 'processed', processed_at = ?2, last_error = NULL, next_attempt_at = NULL${
        fetched ? ", attempts = attempts + 1, settled_by = 'detail'" : ", settled_by = 'snapshot'"
      }
       WHERE ${CURRENT_ATTEMPTS}`,
    )
    .bind(attemptKeys(attempts), at);
}

/** A retryable failure: one more attempt, the error, and when the retry is due. Stays `received`. */
export async function recordFollowupRetry(
  db: D1Database,
  attempts: readonly AttemptRef[],
  error: string,
  nextAttemptAt: number,
): Promise<void> {
  await db
    .prepare(
      `UPDATE events SET attempts = attempts + 1, last_error = ?2, next_attempt_at = ?3 WHERE ${CURRENT_ATTEMPTS}`,
    )
    .bind(attemptKeys(attempts), error, nextAttemptAt)
    .run();
}

/** A permanent failure: `failed` at once, with one more attempt, the error and when it settled. */
export async function markEventsFailed(
  db: D1Database,
  attempts: readonly AttemptRef[],
  error: string,
  at: number,
): Promise<void> {
  await db
    .prepare(
      `UPDATE events SET status = 'failed', processed_at = ?3, attempts = attempts + 1, last_error = ?2,
         next_attempt_at = NULL
       WHERE ${CURRENT_ATTEMPTS}`,
    )
    .bind(attemptKeys(attempts), error, at)
    .run();
}

/** Nothing to fetch for this event: `skipped`, the reason in `last_error` (a batch's skips go in one `db.batch`). */
export function markEventSkippedStatement(
  db: D1Database,
  attempt: AttemptRef,
  reason: string,
  at: number,
): D1PreparedStatement {
  return db
    .prepare(
      `UPDATE events SET status = 'skipped', processed_at = ?2, last_error = ?3, next_attempt_at = NULL
       WHERE ${CURRENT_ATTEMPTS}`,
    )
    .bind(attemptKeys([attempt]), at, reason);
}

/**
 * The queue gave up on the message (dead letter): `failed`, keeping the error of the last
 * attempt when there is one (it says more than "retries exhausted"), and when it settled.
 */
export async function markEventDeadLettered(
  db: D1Database,
  attempt: AttemptRef,
  fallbackError: string,
  at: number,
): Promise<boolean> {
  const result = await db
    .prepare(
      `UPDATE events SET status = 'failed', processed_at = ?3, last_error = COALESCE(last_error, ?2),
         next_attempt_at = NULL
       WHERE ${CURRENT_ATTEMPTS}`,
    )
    .bind(attemptKeys([attempt]), fallbackError, at)
    .run();
  return result.meta.changes > 0;
}

/**
 * Puts an event back to `received` for a replay, as the next generation: `attempts` and
 * `last_error` are kept as history until the replay's own attempt replaces them. `invalid` events
 * have nothing to follow up and are left alone, and so are self-test pushes (never followed up). Returns the status it had and what the replay's
 * message must carry, or null when there is no such event. Like a new push it is not scheduled
 * (next_attempt_at NULL): the sweeper counts its wait from `reopened_at` and leaves it alone while
 * it may only be waiting in a queue backlog; a failed enqueue marks it due (markFollowupsDue). The
 * read, the update and the read back run in one batch (one transaction), so the status returned is
 * the one the update replaced.
 */
export async function reopenEventForReplay(
  db: D1Database,
  id: string,
  at: number,
): Promise<{ previous: EventStatus; source: EventSource; generation: number; attempts: number } | null> {
  const [before, , after] = await db.batch<{
    status: EventStatus;
    source: EventSource;
    generation: number;
    attempts: number;
  }>([
    db.prepare("SELECT status, source FROM events WHERE id = ?1").bind(id),
    db
      .prepare(
        `UPDATE events SET status = 'received', processed_at = NULL, next_attempt_at = NULL, settled_by = NULL,
           generation = generation + 1, reopened_at = ?2, reopen_attempts = attempts
         WHERE id = ?1 AND status <> 'invalid' AND source <> 'selftest'`,
      )
      .bind(id, at),
    db.prepare("SELECT status, generation, attempts FROM events WHERE id = ?1").bind(id),
  ]);
  const previous = before?.results[0];
  const now = after?.results[0];
  if (previous === undefined || !now) return null;
  return { previous: previous.status, source: previous.source, generation: now.generation, attempts: now.attempts };
}

/**
 * When the consumer last got through: the arrival time of the newest event it has settled (three
 * lookups at the top of events_by_status). A self-test push, settled as it arrives without the
 * consumer, does not count. Null when nothing has settled yet.
 */
export async function consumerFrontier(db: D1Database): Promise<number | null> {
  const newest = (status: string) =>
    `SELECT (SELECT received_at FROM events WHERE status = '${status}' AND source <> 'selftest'
       ORDER BY id DESC LIMIT 1) AS at`;
  const row = await db
    .prepare(
      `SELECT MAX(at) AS at FROM (${newest("processed")} UNION ALL ${newest("skipped")} UNION ALL ${newest("failed")})`,
    )
    .first<{ at: number | null }>();
  return row?.at ?? null;
}

export type OverdueBounds = {
  /** Id time bound: only events received before this are looked at (walks events_by_status). */
  receivedBeforeId: string;
  /** An event whose follow-up was (re)scheduled is overdue when that was before this. */
  scheduledBefore: number;
  /**
   * An event never scheduled (still waiting for its first message) is overdue when received, or
   * reopened by a replay, before this.
   */
  neverScheduledBefore: number;
};

/** What the sweeper needs to re-send a follow-up as the one it stands for (push, replay, reconcile). */
export type OverdueFollowup = Pick<EventRow, "id" | "attempts" | "source"> & {
  generation: number;
  /** When a replay last reopened the event (null: never). */
  reopened_at: number | null;
  /** The event's attempts when a replay last reopened it: the replay's budget counts from there. */
  reopen_attempts: number | null;
};

/** Events still `received` whose follow-up is overdue, with the generation their message must carry. */
export async function listOverdueFollowups(
  db: D1Database,
  bounds: OverdueBounds,
  limit: number,
): Promise<OverdueFollowup[]> {
  return rowsOf<OverdueFollowup>(
    db
      .prepare(
        `SELECT id, generation, attempts, source, reopened_at, reopen_attempts FROM events
         WHERE status = 'received' AND id < ?1
           AND CASE WHEN next_attempt_at IS NULL THEN COALESCE(reopened_at, received_at) < ?3
               ELSE next_attempt_at < ?2 END
         ORDER BY id LIMIT ?4`,
      )
      .bind(bounds.receivedBeforeId, bounds.scheduledBefore, bounds.neverScheduledBefore, limit),
  );
}

/**
 * The follow-up message could not be sent (push or replay): the event is due from when it arrived
 * or was reopened, so the sweeper sends it after SWEEP_AFTER_SECONDS instead of waiting for the
 * never-scheduled rule. A time the consumer or the sweeper already set is kept.
 */
export async function markFollowupDue(db: D1Database, eventId: string): Promise<void> {
  await markFollowupsDue(db, [eventId]);
}

/** markFollowupDue for many events at once (a bulk replay's chunk). */
export async function markFollowupsDue(db: D1Database, eventIds: readonly string[]): Promise<void> {
  await db
    .prepare(
      `UPDATE events SET next_attempt_at = COALESCE(reopened_at, received_at)
       WHERE id IN (SELECT value FROM json_each(?1)) AND status = 'received' AND next_attempt_at IS NULL`,
    )
    .bind(JSON.stringify(eventIds))
    .run();
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
