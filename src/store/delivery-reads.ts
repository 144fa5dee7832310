/** The reads of the `deliveries` table for the API and the dashboard: pages, the failing ones with their event, figures. */
import type { DeliveryRow, DeliveryStatus } from "./deliveries";

/**
 * A delivery with what a person needs to know which it is: its destination's name, its event's
 * name and order.
 */
export type DeliveryWithEvent = DeliveryRow & {
  destination: string | null;
  event_name: string | null;
  order_number: string | null;
};

const WITH_EVENT = `SELECT d.*, t.name AS destination, e.event AS event_name, e.order_number AS order_number
  FROM deliveries d LEFT JOIN destinations t ON t.id = d.destination_id LEFT JOIN events e ON e.id = d.event_id`;

export type DeliveryListQuery = {
  status?: DeliveryStatus | undefined;
  event_id?: string | undefined;
  destination_id?: string | undefined;
  limit: number;
  /** The id of the last delivery of the previous page (exclusive bound); newest first. */
  cursor?: string | undefined;
};

/** The SQL of one list page (one row more than the page, to tell whether another follows). */
export function deliveryListStatement(query: DeliveryListQuery): { sql: string; params: (string | number)[] } {
  const where: string[] = [];
  const params: (string | number)[] = [];
  const add = (condition: string, value: string | undefined) => {
    if (value === undefined) return;
    params.push(value);
    where.push(`${condition} ?${params.length}`);
  };
  add("d.status =", query.status);
  add("d.event_id =", query.event_id);
  add("d.destination_id =", query.destination_id);
  add("d.id <", query.cursor);
  params.push(query.limit + 1);
  const filter = where.length ? ` WHERE ${where.join(" AND ")}` : "";
  return { sql: `${WITH_EVENT}${filter} ORDER BY d.id DESC LIMIT ?${params.length}`, params };
}

/** One page, newest first; `next_cursor` is the last id when more follow, else null. */
export async function listDeliveries(
  db: D1Database,
  query: DeliveryListQuery,
): Promise<{ deliveries: DeliveryWithEvent[]; next_cursor: string | null }> {
  const { sql, params } = deliveryListStatement(query);
  const { results } = await db
    .prepare(sql)
    .bind(...params)
    .all<DeliveryWithEvent>();
  const deliveries = results.slice(0, query.limit);
  return { deliveries, next_cursor: results.length > query.limit ? (deliveries.at(-1)?.id ?? null) : null };
}

/** Statements the query-plan test explains. */
export const DELIVERY_READ_SQL = {
  failed: `${WITH_EVENT} WHERE d.status = 'failed' ORDER BY d.id DESC LIMIT ?1`,
  retrying: `${WITH_EVENT} WHERE d.status = 'pending' AND d.attempts >= 1 ORDER BY d.id DESC LIMIT ?1`,
  lastDelivered: `SELECT last_attempt_at AS at FROM deliveries INDEXED BY deliveries_by_last_attempt
    WHERE status = 'delivered' ORDER BY last_attempt_at DESC LIMIT 1`,
  countFailed: "SELECT COUNT(*) AS n FROM (SELECT 1 FROM deliveries WHERE status = 'failed' LIMIT ?1)",
  countRetrying:
    "SELECT COUNT(*) AS n FROM (SELECT 1 FROM deliveries WHERE status = 'pending' AND attempts >= 1 LIMIT ?1)",
} as const;

/** Pending deliveries that have failed at least once (the destination is refusing them), newest first. */
export async function listRetryingDeliveries(db: D1Database, limit: number): Promise<DeliveryWithEvent[]> {
  const { results } = await db.prepare(DELIVERY_READ_SQL.retrying).bind(limit).all<DeliveryWithEvent>();
  return results;
}

/** Deliveries that ended `failed`, newest first, with their event's name and order. */
export async function listFailedDeliveries(db: D1Database, limit: number): Promise<DeliveryWithEvent[]> {
  const { results } = await db.prepare(DELIVERY_READ_SQL.failed).bind(limit).all<DeliveryWithEvent>();
  return results;
}

/** The overview's forwarding figures: the last success, and the failing deliveries counted up to `cap`. */
export type ForwardingFigures = { lastDeliveredAt: number | null; failed: number; retrying: number };

/** Three bounded reads in one batch: an index seek, and two counts that stop at `cap`. */
export async function readForwardingFigures(db: D1Database, cap: number): Promise<ForwardingFigures> {
  const [last, failed, retrying] = await db.batch([
    db.prepare(DELIVERY_READ_SQL.lastDelivered),
    db.prepare(DELIVERY_READ_SQL.countFailed).bind(cap),
    db.prepare(DELIVERY_READ_SQL.countRetrying).bind(cap),
  ]);
  const count = (result: D1Result<unknown> | undefined) => (result?.results[0] as { n: number } | undefined)?.n ?? 0;
  return {
    lastDeliveredAt: (last?.results[0] as { at: number | null } | undefined)?.at ?? null,
    failed: count(failed),
    retrying: count(retrying),
  };
}
