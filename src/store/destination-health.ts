/**
 * The SQL of a destination's health: what each attempt records on it (success, failure, hourly
 * counts), the rate cap's pacing, disabling the ones that keep failing, and the reads of its health.
 */

const HOUR_MS = 3_600_000;

const hourOf = (at: number) => Math.floor(at / HOUR_MS) * HOUR_MS;

/*
 * The statements an attempt's outcome writes on its destination run in the batch right after the
 * delivery's own update, and only when that update changed the row (`changes()` reads the
 * statement completed last on the same connection; a batch runs in order, in one transaction), each
 * chained on the one before: a repeated message that finds the delivery decided counts nothing.
 */

/** A 2xx: the failing streak ends, and the hour's delivered count goes up. */
export function destinationSucceededStatements(db: D1Database, id: string, at: number): D1PreparedStatement[] {
  return [
    db
      .prepare("UPDATE destinations SET last_success_at = ?2, failing_since = NULL WHERE id = ?1 AND changes() > 0")
      .bind(id, at),
    db
      .prepare(
        `INSERT INTO destination_hours (destination_id, hour, delivered, failed) SELECT ?1, ?2, 1, 0 WHERE changes() > 0
         ON CONFLICT (destination_id, hour) DO UPDATE SET delivered = delivered + 1`,
      )
      .bind(id, hourOf(at)),
  ];
}

/** A failed attempt: the failing streak starts (if it had not), the error is kept, the hour's failed count goes up. */
export function destinationFailedStatements(
  db: D1Database,
  id: string,
  at: number,
  error: string,
): D1PreparedStatement[] {
  return [
    db
      .prepare(
        `UPDATE destinations SET failing_since = COALESCE(failing_since, ?2), last_error = ?3, last_error_at = ?2
         WHERE id = ?1 AND changes() > 0`,
      )
      .bind(id, at, error),
    db
      .prepare(
        `INSERT INTO destination_hours (destination_id, hour, delivered, failed) SELECT ?1, ?2, 0, 1 WHERE changes() > 0
         ON CONFLICT (destination_id, hour) DO UPDATE SET failed = failed + 1`,
      )
      .bind(id, hourOf(at)),
  ];
}

/**
 * The rate cap's slot: the start time of the next attempt to this destination, at least
 * `spacingMs` after the one before, if it falls within `horizonMs` of `now` (the caller waits for
 * it); else null and nothing is taken. One guarded update: concurrent consumers never share a slot.
 */
export async function claimRateSlot(
  db: D1Database,
  id: string,
  now: number,
  spacingMs: number,
  horizonMs: number,
): Promise<number | null> {
  const row = await db
    .prepare(
      `UPDATE destinations SET next_slot_at = MAX(COALESCE(next_slot_at, 0), ?2) + ?3
       WHERE id = ?1 AND COALESCE(next_slot_at, 0) <= ?2 + ?4
       RETURNING next_slot_at - ?3 AS start_at`,
    )
    .bind(id, now, spacingMs, horizonMs)
    .first<{ start_at: number }>();
  return row?.start_at ?? null;
}

/**
 * A place in line for an attempt that found no slot within the horizon: `spacingMs` after the
 * last place handed out (or after the slots taken), so waiting messages come back one slot apart
 * instead of all at once. Returns when to come back.
 */
export async function takeRateTicket(db: D1Database, id: string, now: number, spacingMs: number): Promise<number> {
  const row = await db
    .prepare(
      `UPDATE destinations SET ticket_at = MAX(COALESCE(ticket_at, 0), COALESCE(next_slot_at, 0), ?2) + ?3
       WHERE id = ?1 RETURNING ticket_at`,
    )
    .bind(id, now, spacingMs)
    .first<{ ticket_at: number }>();
  return row?.ticket_at ?? now + spacingMs;
}

/**
 * Disables every active destination failing without a success since `failingBefore` or earlier,
 * saying since when; its cursor and pending deliveries stay. Returns the ones disabled now.
 */
export async function disableFailingDestinations(
  db: D1Database,
  failingBefore: number,
  now: number,
): Promise<{ id: string; name: string; failing_since: number }[]> {
  const { results } = await db
    .prepare(
      `UPDATE destinations SET state = 'disabled', disabled_at = ?2, updated_at = ?2,
         disabled_reason = 'no successful delivery since '
           || strftime('%Y-%m-%dT%H:%M:%SZ', failing_since / 1000, 'unixepoch') || ' (last error: '
           || COALESCE(last_error, 'none') || ')'
       WHERE state = 'active' AND failing_since IS NOT NULL AND failing_since <= ?1
       RETURNING id, name, failing_since`,
    )
    .bind(failingBefore, now)
    .all<{ id: string; name: string; failing_since: number }>();
  return results;
}

/** Delivered and failed attempts of each destination since `since` (whole hours), by id. */
export async function readDestinationCounts(
  db: D1Database,
  since: number,
): Promise<Map<string, { delivered: number; failed: number }>> {
  const { results } = await db
    .prepare(
      `SELECT destination_id, SUM(delivered) AS delivered, SUM(failed) AS failed FROM destination_hours
       WHERE hour >= ?1 GROUP BY destination_id`,
    )
    .bind(hourOf(since))
    .all<{ destination_id: string; delivered: number; failed: number }>();
  return new Map(results.map((row) => [row.destination_id, { delivered: row.delivered, failed: row.failed }]));
}

/** Hourly counts older than `before` are no longer shown: dropped by the cron. */
export async function dropDestinationHoursBefore(db: D1Database, before: number): Promise<number> {
  const result = await db.prepare("DELETE FROM destination_hours WHERE hour < ?1").bind(hourOf(before)).run();
  return result.meta.changes;
}
