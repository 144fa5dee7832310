/** The SQL of event retention: settle what never finished, then purge, by id bound along the primary key. */

import { lostEventStatements } from "./destination-walk";
import { rowsOf } from "./rows";

/** Why retention settled an event. */
export const RETENTION_FAILURE = "retention: follow-up never completed before the event's retention ended";

/**
 * An event is never purged unseen: one still waiting for its follow-up past the cutoff is first
 * settled `failed` here, and only purged on a later run, a day after it settled, so the feed,
 * forwarding and the dashboard get to show it.
 * Settles up to `limit` events received before `idBound` still `received` whose follow-up was last
 * scheduled before `idleBefore` (a follow-up in progress, e.g. just replayed, is left to finish).
 * `processed_at` records when it settled. Returns their ids.
 */
export async function settleExpiredFollowups(
  db: D1Database,
  idBound: string,
  idleBefore: number,
  at: number,
  limit: number,
): Promise<string[]> {
  const settled = await rowsOf<{ id: string }>(
    db
      .prepare(
        `UPDATE events SET status = 'failed', last_error = ?4, processed_at = ?3, next_attempt_at = NULL
         WHERE id IN (SELECT id FROM events WHERE status = 'received' AND id < ?1
                        AND COALESCE(next_attempt_at, received_at) < ?2 ORDER BY id LIMIT ?5)
         RETURNING id`,
      )
      .bind(idBound, idleBefore, at, RETENTION_FAILURE, limit),
  );
  return settled.map((row) => row.id);
}

/**
 * The purge, exported so the query-plan test explains exactly what runs: the events to delete are
 * read first (so destinations can count the ones they lose), then deleted by id. The
 * pending-delivery check names its index: left to itself SQLite picks a status index and reads
 * every pending delivery for each event, which during a destination outage is thousands a row.
 */
export const RETENTION_SQL = {
  purgeable: `SELECT id FROM events e WHERE id < ?1 AND status <> 'received' AND COALESCE(processed_at, 0) < ?2
       AND NOT EXISTS (SELECT 1 FROM deliveries d INDEXED BY deliveries_by_event
                       WHERE d.event_id = e.id AND d.status = 'pending')
     ORDER BY id LIMIT ?3`,
  purgeIds: `DELETE FROM events WHERE id IN (SELECT value FROM json_each(?1)) AND status <> 'received'
       AND NOT EXISTS (SELECT 1 FROM deliveries d INDEXED BY deliveries_by_event
                       WHERE d.event_id = events.id AND d.status = 'pending')`,
} as const;

/**
 * Deletes up to `limit` events received before `idBound` that are settled, and settled before
 * `settledBefore` (an event replayed and settled again lately stays a while). An event with a
 * `pending` delivery is kept: forwarding retries for days, longer than the grace after settling,
 * and each attempt reads the event; it goes on a run after its deliveries have ended. In the
 * delete's transaction, each destination counts the events it had not reached yet
 * (`lostEventStatements`: its `events_lost`). Returns how many went.
 */
export async function purgeSettledEventsBefore(
  db: D1Database,
  idBound: string,
  settledBefore: number,
  limit: number,
): Promise<number> {
  const ids = (
    await rowsOf<{ id: string }>(db.prepare(RETENTION_SQL.purgeable).bind(idBound, settledBefore, limit))
  ).map((row) => row.id);
  if (ids.length === 0) return 0;
  const results = await db.batch([
    ...lostEventStatements(db, ids),
    db.prepare(RETENTION_SQL.purgeIds).bind(JSON.stringify(ids)),
  ]);
  return results.at(-1)?.meta.changes ?? 0;
}
