/** All SQL on the `destinations` table but the walk's, the attempts' and the loss count's: rows, admin writes, the default's sync. */
import { rowsOf } from "./rows";

export const DESTINATION_STATES = ["active", "paused", "disabled"] as const;
export type DestinationState = (typeof DESTINATION_STATES)[number];
export const DESTINATION_FORMATS = ["envelope", "raw"] as const;
export type DestinationFormat = (typeof DESTINATION_FORMATS)[number];

/** FORWARD_URL's destination: its row follows the config, never the admin API. */
export const DEFAULT_DESTINATION_ID = "default";
/** The reason the default destination is paused while FORWARD_URL is unset. */
export const CONFIG_OFF_REASON = "FORWARD_URL is not set";

/** A destination as stored (migrations/0014_destinations.sql); `filter` is JSON text. */
export type DestinationRow = {
  id: string;
  name: string;
  url: string;
  format: DestinationFormat;
  filter: string;
  rate_per_minute: number | null;
  state: DestinationState;
  disabled_reason: string | null;
  cursor_seq: number;
  secret: string | null;
  previous_secret: string | null;
  previous_secret_until: number | null;
  walk_token: string | null;
  next_slot_at: number | null;
  ticket_at: number | null;
  last_success_at: number | null;
  failing_since: number | null;
  last_error: string | null;
  last_error_at: number | null;
  disabled_at: number | null;
  events_lost: number;
  created_at: number;
  updated_at: number;
};

/**
 * A row as the config makes it, for reads that write nothing: the default destination is hidden
 * (null) while FORWARD_URL is unset; once it is set, it has FORWARD_URL as its URL and is active
 * (unless paused or disabled otherwise), even before a walk has written so.
 */
export function asConfigured(row: DestinationRow, forwardUrl: string | null): DestinationRow | null {
  if (row.id !== DEFAULT_DESTINATION_ID) return row;
  if (forwardUrl === null) return null;
  const offByConfig = row.state === "paused" && row.disabled_reason === CONFIG_OFF_REASON;
  return offByConfig
    ? { ...row, url: forwardUrl, state: "active", disabled_reason: null }
    : { ...row, url: forwardUrl };
}

/** The newest change-feed position, also of a purged event (`feed_floor`): what a destination starting "now" begins after. */
export const FEED_HEAD_SQL =
  "MAX(COALESCE((SELECT MAX(seq) FROM events), 0), (SELECT last_seq FROM feed_floor WHERE id = 1))";

export async function readFeedHead(db: D1Database): Promise<number> {
  const row = await db.prepare(`SELECT ${FEED_HEAD_SQL} AS head`).first<{ head: number }>();
  return row?.head ?? 0;
}

export async function readDestinationRow(db: D1Database, id: string): Promise<DestinationRow | null> {
  return db.prepare("SELECT * FROM destinations WHERE id = ?1").bind(id).first<DestinationRow>();
}

/** Every destination, oldest first (the default one first: it was there before any other). */
export async function listDestinationRows(db: D1Database): Promise<DestinationRow[]> {
  return rowsOf<DestinationRow>(db.prepare("SELECT * FROM destinations ORDER BY created_at, id"));
}

/** The destinations a walk moves: the active ones (or the one asked for, if active). */
export function activeDestinationsStatement(db: D1Database, only?: string): D1PreparedStatement {
  return only === undefined
    ? db.prepare("SELECT * FROM destinations WHERE state = 'active' ORDER BY id")
    : db.prepare("SELECT * FROM destinations WHERE state = 'active' AND id = ?1").bind(only);
}

/**
 * Keeps the default destination in step with FORWARD_URL, writing only when it is not: set, the
 * row takes the URL and, if FORWARD_URL had been unset, becomes active again (a pause or disable
 * by an admin or by failing stays); unset, it is paused with CONFIG_OFF_REASON and its cursor
 * follows the feed's head, so turning forwarding on sends what settles from then on, as v2 did.
 * Runs first in the batches of the walk and of each attempt, so they read the row as the config says.
 */
export function syncDefaultStatements(db: D1Database, forwardUrl: string | null, now: number): D1PreparedStatement[] {
  if (forwardUrl === null) {
    return [
      db
        .prepare(
          `UPDATE destinations SET state = 'paused', disabled_reason = ?2, cursor_seq = MAX(cursor_seq, ${FEED_HEAD_SQL}),
             updated_at = ?1
           WHERE id = '${DEFAULT_DESTINATION_ID}'
             AND (state <> 'paused' OR disabled_reason IS NOT ?2 OR cursor_seq < ${FEED_HEAD_SQL})`,
        )
        .bind(now, CONFIG_OFF_REASON),
    ];
  }
  const offByConfig = `state = 'paused' AND disabled_reason IS ?3`;
  return [
    db
      .prepare(
        `INSERT INTO destinations (id, name, url, state, cursor_seq, created_at, updated_at)
         VALUES ('${DEFAULT_DESTINATION_ID}', 'default (FORWARD_URL)', ?1, 'active', ${FEED_HEAD_SQL}, ?2, ?2)
         ON CONFLICT (id) DO NOTHING`,
      )
      .bind(forwardUrl, now),
    db
      .prepare(
        `UPDATE destinations SET url = ?1, updated_at = ?2,
           state = CASE WHEN ${offByConfig} THEN 'active' ELSE state END,
           disabled_reason = CASE WHEN ${offByConfig} THEN NULL ELSE disabled_reason END,
           failing_since = CASE WHEN ${offByConfig} THEN NULL ELSE failing_since END
         WHERE id = '${DEFAULT_DESTINATION_ID}' AND (url IS NOT ?1 OR (${offByConfig}))`,
      )
      .bind(forwardUrl, now, CONFIG_OFF_REASON),
  ];
}

export type NewDestination = {
  id: string;
  name: string;
  url: string;
  format: DestinationFormat;
  filter: string;
  rate_per_minute: number | null;
  secret: string;
  /** The seq to begin after; null: the feed's head now. */
  start: number | null;
};

/** Inserts an active destination; its cursor is `start`, or the feed's head. Returns the row. */
export async function insertDestination(db: D1Database, row: NewDestination, now: number): Promise<DestinationRow> {
  const inserted = await db
    .prepare(
      `INSERT INTO destinations (id, name, url, format, filter, rate_per_minute, state, cursor_seq, secret, created_at, updated_at)
       VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'active', COALESCE(?7, ${FEED_HEAD_SQL}), ?8, ?9, ?9)
       RETURNING *`,
    )
    .bind(row.id, row.name, row.url, row.format, row.filter, row.rate_per_minute, row.start, row.secret, now)
    .first<DestinationRow>();
  if (!inserted) throw new Error("the destination insert returned no row");
  return inserted;
}

/** The fields PATCH may change; `start` moves the cursor (null: to the feed's head). */
export type DestinationChanges = Partial<
  Pick<DestinationRow, "name" | "url" | "format" | "filter" | "rate_per_minute"> & { start: number | null }
>;

/**
 * Applies `changes` to a destination other than the default one. A new rate cap starts its pacing
 * afresh. Returns the row, or null when there is none.
 */
export async function updateDestination(
  db: D1Database,
  id: string,
  changes: DestinationChanges,
  now: number,
): Promise<DestinationRow | null> {
  const sets: string[] = ["updated_at = ?2"];
  const params: (string | number | null)[] = [id, now];
  const set = (column: string, value: string | number | null, sql = `?${params.length + 1}`) => {
    params.push(value);
    sets.push(`${column} = ${sql}`);
  };
  if (changes.name !== undefined) set("name", changes.name);
  if (changes.url !== undefined) set("url", changes.url);
  if (changes.format !== undefined) set("format", changes.format);
  if (changes.filter !== undefined) set("filter", changes.filter);
  if (changes.rate_per_minute !== undefined) {
    set("rate_per_minute", changes.rate_per_minute);
    sets.push("next_slot_at = NULL", "ticket_at = NULL");
  }
  if (changes.start !== undefined)
    set("cursor_seq", changes.start, `COALESCE(?${params.length + 1}, ${FEED_HEAD_SQL})`);
  return db
    .prepare(
      `UPDATE destinations SET ${sets.join(", ")} WHERE id = ?1 AND id <> '${DEFAULT_DESTINATION_ID}' RETURNING *`,
    )
    .bind(...params)
    .first<DestinationRow>();
}

/** Paused by an admin: its cursor stays, its deliveries wait. Returns the row, or null. */
export async function pauseDestination(db: D1Database, id: string, now: number): Promise<DestinationRow | null> {
  return db
    .prepare(
      `UPDATE destinations SET state = 'paused', disabled_reason = NULL, updated_at = ?2
       WHERE id = ?1 AND NOT (state = 'paused' AND disabled_reason IS ?3) RETURNING *`,
    )
    .bind(id, now, CONFIG_OFF_REASON)
    .first<DestinationRow>();
}

/**
 * Active again, from its cursor: the failing streak and the rate pacing start afresh, and its
 * pending deliveries are due now with a full retry window from now (the time it was off does not
 * count). Resuming an active destination changes nothing. Returns the row and the ids of the
 * deliveries made due, or null (unknown, or paused because FORWARD_URL is unset).
 */
export async function resumeDestination(
  db: D1Database,
  id: string,
  now: number,
  retryUntil: number,
): Promise<{ row: DestinationRow; due: string[] } | null> {
  const resumable = `state <> 'active' AND NOT (state = 'paused' AND disabled_reason IS ?3)`;
  const [due, , after] = await db.batch([
    db
      .prepare(
        `UPDATE deliveries SET next_attempt_at = ?2, retry_until = MAX(retry_until, ?4)
         WHERE destination_id = ?1 AND status = 'pending'
           AND EXISTS (SELECT 1 FROM destinations WHERE id = ?1 AND ${resumable})
         RETURNING id`,
      )
      .bind(id, now, CONFIG_OFF_REASON, retryUntil),
    db
      .prepare(
        `UPDATE destinations SET state = 'active', disabled_reason = NULL, failing_since = NULL, next_slot_at = NULL,
           ticket_at = NULL, updated_at = ?2
         WHERE id = ?1 AND ${resumable}`,
      )
      .bind(id, now, CONFIG_OFF_REASON),
    db
      .prepare("SELECT * FROM destinations WHERE id = ?1 AND NOT (state = 'paused' AND disabled_reason IS ?2)")
      .bind(id, CONFIG_OFF_REASON),
  ]);
  const row = after?.results[0] as DestinationRow | undefined;
  if (!row) return null;
  return { row, due: ((due?.results ?? []) as { id: string }[]).map((r) => r.id) };
}

/** The new secret in force; the one before stays valid until `previousUntil`. Null when there is no such destination. */
export async function rotateDestinationSecret(
  db: D1Database,
  id: string,
  secret: string,
  previousUntil: number,
  now: number,
): Promise<DestinationRow | null> {
  return db
    .prepare(
      `UPDATE destinations SET previous_secret = secret, previous_secret_until = ?3, secret = ?2, updated_at = ?4
       WHERE id = ?1 AND id <> '${DEFAULT_DESTINATION_ID}' RETURNING *`,
    )
    .bind(id, secret, previousUntil, now)
    .first<DestinationRow>();
}

/**
 * Removes a destination other than the default one: its pending deliveries end `cancelled`
 * (delivered and failed ones stay listed until retention), its hourly counts go. Returns how many
 * were cancelled, or null when there is no such destination.
 */
export async function deleteDestination(db: D1Database, id: string, now: number): Promise<number | null> {
  const [cancelled, , deleted] = await db.batch([
    db
      .prepare(
        `UPDATE deliveries SET status = 'cancelled', next_attempt_at = NULL, last_error = 'the destination was deleted',
           last_attempt_at = COALESCE(last_attempt_at, ?2)
         WHERE destination_id = ?1 AND status = 'pending'
           AND EXISTS (SELECT 1 FROM destinations WHERE id = ?1 AND id <> '${DEFAULT_DESTINATION_ID}')`,
      )
      .bind(id, now),
    db
      .prepare(`DELETE FROM destination_hours WHERE destination_id = ?1 AND ?1 <> '${DEFAULT_DESTINATION_ID}'`)
      .bind(id),
    db.prepare(`DELETE FROM destinations WHERE id = ?1 AND id <> '${DEFAULT_DESTINATION_ID}'`).bind(id),
  ]);
  if (!deleted?.meta.changes) return null;
  return cancelled?.meta.changes ?? 0;
}
