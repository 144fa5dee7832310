/** The change feed's read: events whose current `seq` is past a client's position, ascending. */
import type { EventSummaryRow } from "../events/vocabulary";
import { decodeEventRow, type StoredEventSummary, SUMMARY_SELECT } from "./event-columns";

/** The feed page, exported so the query-plan test explains exactly what runs. */
export const FEED_SQL = {
  page: `SELECT ${SUMMARY_SELECT} FROM events WHERE seq > ?1 ORDER BY seq LIMIT ?2`,
} as const;

/**
 * Up to `limit` events whose seq is greater than `after`, lowest seq first. `seq` itself is written
 * by triggers in D1 (migrations/0007_change_feed.sql), inside the statement that inserts an event or
 * changes its status, so no write elsewhere has to set it.
 */
export async function readFeedPage(db: D1Database, after: number, limit: number): Promise<EventSummaryRow[]> {
  const { results } = await db.prepare(FEED_SQL.page).bind(after, limit).all<StoredEventSummary>();
  return results.map(decodeEventRow);
}
