/**
 * Reads of the `events` table for the read API and the dashboard: one event, a page of the list,
 * an order's timeline. Each is answered from an index; rows come back decoded.
 */
import { type EventRow, type EventSummaryRow, LIST_FILTER_COLUMNS, type ListFilterColumn } from "../events/vocabulary";
import {
  decodeEventRow,
  decodeWholeEventRow,
  EVENT_SELECT,
  type StoredEventRow,
  type StoredEventSummary,
  SUMMARY_SELECT,
} from "./event-columns";

export async function getEvent(db: D1Database, id: string): Promise<EventRow | null> {
  const row = await db.prepare(`SELECT ${EVENT_SELECT} FROM events WHERE id = ?1`).bind(id).first<StoredEventRow>();
  return row ? decodeWholeEventRow(row) : null;
}

export type EventListQuery = {
  filters: Partial<Record<ListFilterColumn, string>>;
  /** Inclusive lower bound on id (from `since`). */
  minId?: string;
  /** Exclusive upper bound on id (from `until` or the cursor). */
  maxId?: string;
  limit: number;
};

/** The SQL of one list page; exported so the query-plan test explains exactly what runs. */
export function eventListStatement(query: EventListQuery): { sql: string; params: (string | number)[] } {
  const where: string[] = [];
  const params: (string | number)[] = [];
  for (const column of LIST_FILTER_COLUMNS) {
    const value = query.filters[column];
    if (value === undefined) continue;
    params.push(value);
    where.push(`${column} = ?${params.length}`);
  }
  if (query.minId !== undefined) {
    params.push(query.minId);
    where.push(`id >= ?${params.length}`);
  }
  if (query.maxId !== undefined) {
    params.push(query.maxId);
    where.push(`id < ?${params.length}`);
  }
  params.push(query.limit);
  const sql = `SELECT ${SUMMARY_SELECT} FROM events${where.length ? ` WHERE ${where.join(" AND ")}` : ""} ORDER BY id DESC LIMIT ?${params.length}`;
  return { sql, params };
}

export async function listEvents(db: D1Database, query: EventListQuery): Promise<EventSummaryRow[]> {
  const { sql, params } = eventListStatement(query);
  const { results } = await db
    .prepare(sql)
    .bind(...params)
    .all<StoredEventSummary>();
  return results.map(decodeEventRow);
}

export const ORDER_TIMELINE_SQL = `SELECT ${SUMMARY_SELECT} FROM events WHERE order_number = ?1 ORDER BY id DESC LIMIT ?2`;

/** The newest `limit` events about one order (any category), newest first. */
export async function orderTimeline(db: D1Database, orderNumber: string, limit: number): Promise<EventSummaryRow[]> {
  const { results } = await db.prepare(ORDER_TIMELINE_SQL).bind(orderNumber, limit).all<StoredEventSummary>();
  return results.map(decodeEventRow);
}
