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
} as const;

/**
 * Distinct orders among the oldest `eventCap` waiting events, and how many of them have a stored
 * detail snapshot. Reads at most `eventCap` events (down events_by_status) and one resources key
 * per order, whatever the size of the queue behind them.
 */
export async function countWaitingOrders(db: D1Database, eventCap: number): Promise<{ orders: number; known: number }> {
  const row = await db.prepare(WAITING_SQL.count).bind(eventCap).first<{ orders: number; known: number }>();
  return { orders: row?.orders ?? 0, known: row?.known ?? 0 };
}
