/**
 * The SQL of a destination's walk along the change feed, and of the loss count retention runs
 * before it deletes events: both decide which events a destination takes with one predicate.
 */
import { CONFIG_OFF_REASON, DEFAULT_DESTINATION_ID } from "./destinations";

/** The statuses after which an event is delivered. */
export const SETTLED = "('processed', 'skipped', 'failed')";

/**
 * Whether event `e` matches the filter of destination `t` (its JSON): every part given must hold
 * (ANDed), any value of a part will do. `events` holds names, or prefixes ending in `.`; an absent
 * part matches everything, an empty list nothing. Evaluated in D1 so the walk inserts in one
 * statement and the loss count runs inside retention's batch.
 */
export const FILTER_MATCHES = `(
  (json_type(t.filter, '$.events') IS NULL OR EXISTS (SELECT 1 FROM json_each(t.filter, '$.events') f
     WHERE f.value = e.event OR (substr(f.value, -1) = '.' AND substr(e.event, 1, length(f.value)) = f.value)))
  AND (json_type(t.filter, '$.categories') IS NULL
       OR e.category IN (SELECT value FROM json_each(t.filter, '$.categories')))
  AND (json_type(t.filter, '$.statuses') IS NULL
       OR e.status IN (SELECT value FROM json_each(t.filter, '$.statuses')))
  AND (json_type(t.filter, '$.seller_ids') IS NULL
       OR e.seller_id IN (SELECT value FROM json_each(t.filter, '$.seller_ids'))))`;

/** What a destination takes of event `e`: settled, not the doctor's self-test, and matching its filter. */
export const DELIVERABLE = `e.status IN ${SETTLED} AND e.source <> 'selftest' AND ${FILTER_MATCHES}`;

/** The walk's statements, exported so the query-plan test explains exactly what runs. */
export const WALK_SQL = {
  /** The end of the next page: the seq of the `limit`-th change past the cursor, or of the last one. */
  pageEnd: `SELECT MAX(seq) AS page_end, COUNT(*) AS changes
    FROM (SELECT seq FROM events WHERE seq > ?1 ORDER BY seq LIMIT ?2)`,
  /** The guard: only the walker that finds the cursor where it read it moves it, and writes its token. */
  guard: `UPDATE destinations SET cursor_seq = ?3, walk_token = ?4
    WHERE id = ?1 AND cursor_seq = ?2 AND state = 'active'`,
  /**
   * One pending delivery per deliverable event of the page, in the same batch after the guard and
   * only under the guard's token: a walker that lost the race inserts nothing. Ids are the batch
   * prefix and the event's seq, so they sort in feed order.
   */
  deliveries: `INSERT INTO deliveries
      (id, destination_id, event_id, settlement, status, attempts, next_attempt_at, retry_until, created_at)
    SELECT ?5 || printf('%010d', e.seq), t.id, e.id, e.status || ':' || e.seq, 'pending', 0, ?6, ?7, ?6
    FROM destinations t JOIN events e INDEXED BY events_by_seq ON e.seq > ?2 AND e.seq <= ?3
    WHERE t.id = ?1 AND t.walk_token = ?4 AND ${DELIVERABLE}
    ON CONFLICT (destination_id, event_id, settlement) DO NOTHING
    RETURNING id`,
} as const;

/** The page past `after`: its last seq and how many changes it holds (0: nothing past the cursor). */
export async function readWalkPage(
  db: D1Database,
  after: number,
  limit: number,
): Promise<{ pageEnd: number | null; changes: number }> {
  const row = await db
    .prepare(WALK_SQL.pageEnd)
    .bind(after, limit)
    .first<{ page_end: number | null; changes: number }>();
  return { pageEnd: row?.page_end ?? null, changes: row?.changes ?? 0 };
}

export type WalkStep = {
  destinationId: string;
  from: number;
  to: number;
  /** Random per step: what the guard writes and the inserts check. */
  token: string;
  idPrefix: string;
  now: number;
  retryUntil: number;
};

/**
 * In one transaction: the cursor moved from `from` to `to` if it is still at `from` (and the
 * destination active), then the deliveries of the page if, and only if, that move happened.
 * Returns whether the walker held the cursor, and the ids created, in feed order.
 */
export async function commitWalkStep(db: D1Database, step: WalkStep): Promise<{ held: boolean; created: string[] }> {
  const [guard, inserted] = await db.batch<{ id: string }>([
    db.prepare(WALK_SQL.guard).bind(step.destinationId, step.from, step.to, step.token),
    db
      .prepare(WALK_SQL.deliveries)
      .bind(step.destinationId, step.from, step.to, step.token, step.idPrefix, step.now, step.retryUntil),
  ]);
  const created = (inserted?.results ?? []).map((row) => row.id).sort();
  return { held: (guard?.meta.changes ?? 0) > 0, created };
}

/**
 * Loss counting, for retention: statements that add to each destination's `events_lost` the
 * events among `eventIds` it would have taken and has not reached (past its cursor, deliverable,
 * no pending delivery: an event with one is never purged). Run them in the batch that deletes
 * exactly these events, before the delete. The default destination paused because FORWARD_URL is
 * unset loses nothing: nothing is forwarded while forwarding is off.
 * @example await db.batch([...lostEventStatements(db, ids), deleteStatement])
 */
export function lostEventStatements(db: D1Database, eventIds: readonly string[]): D1PreparedStatement[] {
  if (eventIds.length === 0) return [];
  return [
    db
      .prepare(
        `UPDATE destinations AS t SET events_lost = events_lost + (
           SELECT COUNT(*) FROM events e
           WHERE e.id IN (SELECT value FROM json_each(?1)) AND e.seq > t.cursor_seq AND ${DELIVERABLE}
             AND NOT EXISTS (SELECT 1 FROM deliveries d INDEXED BY deliveries_by_event
                             WHERE d.event_id = e.id AND d.status = 'pending'))
         WHERE NOT (t.id = '${DEFAULT_DESTINATION_ID}' AND t.state = 'paused' AND t.disabled_reason IS ?2)`,
      )
      .bind(JSON.stringify(eventIds), CONFIG_OFF_REASON),
  ];
}

/**
 * The oldest-arrived event a destination would take among the next `scan` changes past its cursor
 * (a bounded read, also when nothing matches): what the retention-risk alert looks at.
 */
export async function oldestUnreachedEvent(
  db: D1Database,
  destinationId: string,
  after: number,
  scan: number,
): Promise<{ id: string; received_at: number } | null> {
  return db
    .prepare(
      `SELECT e.id, e.received_at
       FROM destinations t, (SELECT id, seq, status, source, event, category, seller_id, received_at
             FROM events WHERE seq > ?2 ORDER BY seq LIMIT ?3) e
       WHERE t.id = ?1 AND ${DELIVERABLE} ORDER BY e.received_at LIMIT 1`,
    )
    .bind(destinationId, after, scan)
    .first<{ id: string; received_at: number }>();
}
