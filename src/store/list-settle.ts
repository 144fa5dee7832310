/**
 * All SQL of settling from the order list: the list walk's lease (one walk at a time per seller),
 * and the writes that settle the events a listing shows and keep the listed row as the order's
 * summary.
 */
import { rowsOf } from "./rows";

/** One listed order: its number, its `updated_time` in ms, and the row as listed. */
export type ListedOrder = { orderNumber: string; updatedMs: number; summary: Record<string, unknown> };

/**
 * The events a listing settles: waiting status changes (category `order`, first follow-up, never
 * reopened) of an order with a stored detail, received at most `skew` after the listed change.
 * ?1 listed orders as [[number, updated ms, row], …], ?3 the skew (ms). Each order is a walk down
 * events_by_order.
 */
const SETTLEABLE = `SELECT e.id, json_extract(j.value, '$[0]') AS order_number FROM json_each(?1) j
  JOIN events e INDEXED BY events_by_order ON e.order_number = json_extract(j.value, '$[0]')
  WHERE e.status = 'received' AND e.category = 'order' AND e.generation = 0 AND e.reopened_at IS NULL
    AND e.received_at <= json_extract(j.value, '$[1]') + ?3
    AND EXISTS (SELECT 1 FROM resources r WHERE r.type = 'order' AND r.id = e.order_number)`;

/** The statements, by name, so the query-plan test explains exactly what runs. */
export const LIST_SETTLE_SQL = {
  settleable: SETTLEABLE,
  /** ?1 listed orders, ?2 when the list call started (ms), ?3 the skew: the summary of each order it settles. */
  summary: `UPDATE resources SET summary = json_extract(j.value, '$[2]'), summary_at = ?2
    FROM json_each(?1) j
    WHERE resources.type = 'order' AND resources.id = json_extract(j.value, '$[0]')
      AND COALESCE(resources.summary_at, 0) <= ?2
      AND resources.id IN (SELECT order_number FROM (${SETTLEABLE}))`,
  /** ?1 listed orders, ?2 when they settle (ms), ?3 the skew. */
  settle: `UPDATE events SET status = 'processed', processed_at = ?2, settled_by = 'list', last_error = NULL,
      next_attempt_at = NULL
    WHERE id IN (SELECT id FROM (${SETTLEABLE}))
    RETURNING id`,
} as const;

/**
 * Settles what one page of the listing shows, in one transaction: first the listed rows of the
 * orders whose events it settles become their summaries (`summary_at` = `listedAt`, never over a
 * later listing's), then those events become `processed` by `list`. Returns the settled ids.
 */
export async function settleListedOrders(
  db: D1Database,
  listed: readonly ListedOrder[],
  listedAt: number,
  settledAt: number,
  skewMs: number,
): Promise<string[]> {
  if (listed.length === 0) return [];
  const rows = JSON.stringify(listed.map((order) => [order.orderNumber, order.updatedMs, order.summary]));
  const [, settled] = await db.batch<{ id: string }>([
    db.prepare(LIST_SETTLE_SQL.summary).bind(rows, listedAt, skewMs),
    db.prepare(LIST_SETTLE_SQL.settle).bind(rows, settledAt, skewMs),
  ]);
  return (settled?.results ?? []).map((row) => row.id);
}

/**
 * Takes the list walk of `seller` when nobody holds it and the last walk began `intervalMs` ago or
 * more. Returns null when taken, else when to try again (ms).
 */
export async function claimListWalk(
  db: D1Database,
  walk: { seller: string; token: string; now: number; until: number; intervalMs: number },
): Promise<number | null> {
  const [claimed, current] = await db.batch<{ token: string; until: number; started_at: number }>([
    db
      .prepare(
        `INSERT INTO followup_list_walks (seller, token, until, started_at) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (seller) DO UPDATE SET token = excluded.token, until = excluded.until,
           started_at = excluded.started_at
         WHERE followup_list_walks.until <= ?4 AND followup_list_walks.started_at <= ?4 - ?5
         RETURNING token`,
      )
      .bind(walk.seller, walk.token, walk.until, walk.now, walk.intervalMs),
    db.prepare("SELECT token, until, started_at FROM followup_list_walks WHERE seller = ?1").bind(walk.seller),
  ]);
  if ((claimed?.results.length ?? 0) > 0) return null;
  const row = current?.results[0];
  return row ? Math.max(row.until, row.started_at + walk.intervalMs) : walk.now;
}

/** Ends this walk's lease (its start still spaces the next walk out). */
export async function releaseListWalk(db: D1Database, seller: string, token: string, now: number): Promise<void> {
  await db
    .prepare("UPDATE followup_list_walks SET until = ?3 WHERE seller = ?1 AND token = ?2")
    .bind(seller, token, now)
    .run();
}

/** Orders whose summary is newer than their detail, listed before `summarizedBefore` (the backfill's queue). */
export async function listDetailsDue(
  db: D1Database,
  summarizedBefore: number,
  limit: number,
): Promise<{ id: string; seller_id: string | null }[]> {
  return rowsOf<{ id: string; seller_id: string | null }>(
    db
      .prepare(
        `SELECT id, seller_id FROM resources INDEXED BY resources_detail_due
         WHERE summary_at > fetched_at AND summary_at < ?1 AND type = 'order' ORDER BY summary_at LIMIT ?2`,
      )
      .bind(summarizedBefore, limit),
  );
}
