/** How many orders wait for a follow-up: the adaptive follow-up's view of the whole queue, in one bounded read. */

/**
 * The statements, by name, so the query-plan test explains exactly what runs. ?1: how many waiting
 * events to look at, oldest first, down events_by_status; each distinct order of theirs is looked
 * up once in resources (its primary key).
 */
export const WAITING_SQL = {
  count: `SELECT COUNT(*) AS orders, COALESCE(SUM(
      EXISTS (SELECT 1 FROM resources r WHERE r.type = 'order' AND r.id = w.order_number)), 0) AS known
    FROM (SELECT DISTINCT order_number FROM (
      SELECT order_number FROM events INDEXED BY events_by_status
      WHERE status = 'received' AND order_number IS NOT NULL ORDER BY id LIMIT ?1)) w`,
  /**
   * Distinct orders among the events received since the id bound ?1 (whatever their status), at
   * most ?2 events: a primary-key range, newest first.
   */
  arriving: `SELECT COUNT(DISTINCT order_number) AS n FROM (
      SELECT order_number FROM events WHERE id >= ?1 AND order_number IS NOT NULL ORDER BY id DESC LIMIT ?2)`,
} as const;

/**
 * Distinct orders among the oldest `eventCap` waiting events, and how many of them have a stored
 * detail snapshot; and distinct orders among the latest `eventCap` events received since
 * `arrivedSinceId`. Reads at most `eventCap` events each (down events_by_status, and the primary
 * key) and one resources key per order, whatever the size of the queue behind them. One round trip.
 */
export async function countWaitingOrders(
  db: D1Database,
  eventCap: number,
  arrivedSinceId: string,
): Promise<{ orders: number; known: number; arriving: number }> {
  const [waiting, arriving] = await db.batch([
    db.prepare(WAITING_SQL.count).bind(eventCap),
    db.prepare(WAITING_SQL.arriving).bind(arrivedSinceId, eventCap),
  ]);
  const counts = waiting?.results[0] as { orders: number; known: number } | undefined;
  const recent = arriving?.results[0] as { n: number } | undefined;
  return { orders: counts?.orders ?? 0, known: counts?.known ?? 0, arriving: recent?.n ?? 0 };
}
