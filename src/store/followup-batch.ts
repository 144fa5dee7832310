/** What the follow-up consumer reads before it decides, in one round trip. */
import { encodeIdTime } from "../lib/ids";

/**
 * An event of the batch: `attempts` counts real calls to Omisell that failed or succeeded (waits
 * for rate-limit budget are never counted), `generation` which follow-up is current.
 */
export type FollowupEventState = {
  id: string;
  event: string | null;
  category: string;
  status: string;
  order_number: string | null;
  seller_id: string | null;
  attempts: number;
  received_at: number;
  generation: number;
  /** When a replay last reopened it (ms), or null. */
  reopened_at: number | null;
};

/**
 * What D1 knows about an order of the batch: its newest event lately, and its stored snapshot's
 * fetch start (fetch coalescing, the quiet window).
 */
export type OrderFollowupState = { lastReceivedAt: number | null; fetchedAt: number | null };

export type FollowupBatchState = {
  events: FollowupEventState[];
  orders: Map<string, OrderFollowupState>;
};

/**
 * The events `ids`, and for each of their orders: the newest event received since `recentSince`
 * (ms; a bound on the events_by_order walk) and the snapshot's `fetched_at`.
 */
export async function loadFollowupBatch(
  db: D1Database,
  ids: string[],
  recentSince: number,
): Promise<FollowupBatchState> {
  const idsJson = JSON.stringify(ids);
  const orderNumbers = `(SELECT DISTINCT order_number FROM events
      WHERE id IN (SELECT value FROM json_each(?1)) AND order_number IS NOT NULL)`;
  const [events, recent, snapshots] = await db.batch<Record<string, unknown>>([
    db
      .prepare(
        `SELECT id, event, category, status, order_number, seller_id, attempts, received_at, generation, reopened_at
         FROM events WHERE id IN (SELECT value FROM json_each(?1))`,
      )
      .bind(idsJson),
    db
      .prepare(
        `SELECT order_number, MAX(received_at) AS last_received_at FROM events
         WHERE order_number IN ${orderNumbers} AND id >= ?2 GROUP BY order_number`,
      )
      .bind(idsJson, encodeIdTime(recentSince)),
    db.prepare(`SELECT id, fetched_at FROM resources WHERE type = 'order' AND id IN ${orderNumbers}`).bind(idsJson),
  ]);
  const orders = new Map<string, OrderFollowupState>();
  const stateOf = (orderNumber: string) => {
    const state = orders.get(orderNumber) ?? { lastReceivedAt: null, fetchedAt: null };
    orders.set(orderNumber, state);
    return state;
  };
  for (const row of (recent?.results ?? []) as { order_number: string; last_received_at: number }[]) {
    stateOf(row.order_number).lastReceivedAt = row.last_received_at;
  }
  for (const row of (snapshots?.results ?? []) as { id: string; fetched_at: number }[]) {
    stateOf(row.id).fetchedAt = row.fetched_at;
  }
  return { events: (events?.results ?? []) as FollowupEventState[], orders };
}
