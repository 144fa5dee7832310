/** Reads of the `events` table for the read API and the dashboard, each from an index, bounded, decoded. */
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

/**
 * The filter that picks the index walked, most selective first; any other filter is checked on
 * the rows that walk yields, within the scan budget. A filter added later comes last.
 */
const MOST_SELECTIVE: readonly ListFilterColumn[] = [
  "order_number",
  "resource_id",
  "seller_id",
  "event",
  "status",
  "category",
];
const INDEX_ORDER = [...MOST_SELECTIVE, ...LIST_FILTER_COLUMNS.filter((c) => !MOST_SELECTIVE.includes(c))];

/** Rows of the walked index one page may read, per row asked for, when several filters apply. */
export const SCAN_BUDGET_PER_ROW = 4;

type Statement = { sql: string; params: (string | number)[] };

/**
 * The SQL of one list page; exported so the query-plan test runs exactly what the worker runs.
 * With one filter (or none) the `(filter, id)` index (or the primary key) yields only matching
 * rows, newest first, so the page reads about `limit` rows. With more, the walk of the most
 * selective filter's index is capped at `scanBudget` rows and the other filters are checked on
 * those: a page never reads more, however rare the matches; `scanned` tells where it stopped.
 */
export function eventListStatement(query: EventListQuery): Statement & { scanned: Statement | null } {
  const used = INDEX_ORDER.filter((column) => query.filters[column] !== undefined);
  const params: (string | number)[] = [];
  const bind = (value: string | number) => {
    params.push(value);
    return `?${params.length}`;
  };
  const walk: string[] = [];
  const [indexed, ...others] = used;
  if (indexed) walk.push(`${indexed} = ${bind(query.filters[indexed] as string)}`);
  if (query.minId !== undefined) walk.push(`id >= ${bind(query.minId)}`);
  if (query.maxId !== undefined) walk.push(`id < ${bind(query.maxId)}`);
  const walkWhere = walk.length ? ` WHERE ${walk.join(" AND ")}` : "";
  if (others.length === 0) {
    const sql = `SELECT ${SUMMARY_SELECT} FROM events${walkWhere} ORDER BY id DESC LIMIT ${bind(query.limit)}`;
    return { sql, params, scanned: null };
  }
  const budget = query.limit * SCAN_BUDGET_PER_ROW;
  const walkParams = [...params];
  const check = others.map((column) => `${column} = ${bind(query.filters[column] as string)}`).join(" AND ");
  const sql = `SELECT ${SUMMARY_SELECT} FROM (SELECT ${SUMMARY_SELECT} FROM events${walkWhere} ORDER BY id DESC LIMIT ${bind(budget)})
    WHERE ${check} ORDER BY id DESC LIMIT ${bind(query.limit)}`;
  const scannedSql = `SELECT COUNT(*) AS n, MIN(id) AS last FROM (SELECT id FROM events${walkWhere} ORDER BY id DESC LIMIT ?${walkParams.length + 1})`;
  return { sql, params, scanned: { sql: scannedSql, params: [...walkParams, budget] } };
}

export type EventListResult = {
  rows: EventSummaryRow[];
  /** Set when the scan budget ran out first: the id the walk stopped at (continue below it). */
  stoppedAt: string | null;
};

export async function listEvents(db: D1Database, query: EventListQuery): Promise<EventListResult> {
  const { sql, params, scanned } = eventListStatement(query);
  const { results } = await db
    .prepare(sql)
    .bind(...params)
    .all<StoredEventSummary>();
  const rows = results.map(decodeEventRow);
  if (!scanned || rows.length >= query.limit) return { rows, stoppedAt: null };
  // A short page: either the walk ran out of rows (the last page) or out of budget.
  const walked = await db
    .prepare(scanned.sql)
    .bind(...scanned.params)
    .first<{ n: number; last: string | null }>();
  const budget = scanned.params.at(-1) as number;
  return { rows, stoppedAt: walked && walked.n >= budget ? walked.last : null };
}

export const ORDER_TIMELINE_SQL = `SELECT ${SUMMARY_SELECT} FROM events WHERE order_number = ?1 ORDER BY id DESC LIMIT ?2`;

/** The newest `limit` events about one order (any category), newest first. */
export async function orderTimeline(db: D1Database, orderNumber: string, limit: number): Promise<EventSummaryRow[]> {
  const { results } = await db.prepare(ORDER_TIMELINE_SQL).bind(orderNumber, limit).all<StoredEventSummary>();
  return results.map(decodeEventRow);
}

/**
 * The newest failures, down the partial index of failed events by time (migration 0011): a seek
 * and `limit` rows, however many events failed. Named, like the health check's read of it: the
 * planner would otherwise take events_by_status and sort every failed event.
 */
export const RECENT_FAILURES_SQL = `SELECT ${SUMMARY_SELECT} FROM events INDEXED BY events_failed_by_time
  WHERE status = 'failed' ORDER BY processed_at DESC LIMIT ?1`;

/** The newest `limit` failed events, the most recent failure first. */
export async function listRecentFailures(db: D1Database, limit: number): Promise<EventSummaryRow[]> {
  const { results } = await db.prepare(RECENT_FAILURES_SQL).bind(limit).all<StoredEventSummary>();
  return results.map(decodeEventRow);
}
