/**
 * What the read API and the dashboard both show, read from D1 and shaped by `views.ts`:
 * a page of events, one event, an order with its timeline, the stats.
 */
import { readPushCoverage } from "../reconcile/figures";
import { getEvent, listEvents, orderTimeline } from "../store/event-reads";
import { getSnapshot } from "../store/resources";
import { readEventStats } from "../store/stats";
import { encodeCursor, type ListParams, toEventListQuery } from "./event-query";
import { parsePayload, statsWindowStart, toEventDetail, toEventSummary, toStats } from "./views";

const ORDER_TIMELINE_LIMIT = 500;

export async function readEventPage(db: D1Database, params: ListParams) {
  // One row more than asked tells whether a next page exists without a COUNT. A page cut short
  // by the scan budget is `partial`: its cursor continues from where the scan stopped.
  const { rows, stoppedAt } = await listEvents(db, { ...toEventListQuery(params), limit: params.limit + 1 });
  const page = rows.slice(0, params.limit);
  const last = page.at(-1);
  const cursor = rows.length > params.limit && last ? last.id : stoppedAt;
  return {
    events: page.map(toEventSummary),
    next_cursor: cursor ? encodeCursor(cursor) : null,
    partial: stoppedAt !== null,
  };
}

export async function readEvent(db: D1Database, id: string) {
  const row = await getEvent(db, id);
  return row ? toEventDetail(row) : null;
}

/** Null when nothing is known about the order: no snapshot and no event. */
export async function readOrder(db: D1Database, orderNumber: string) {
  const [snapshot, timeline] = await Promise.all([
    getSnapshot(db, "order", orderNumber),
    orderTimeline(db, orderNumber, ORDER_TIMELINE_LIMIT),
  ]);
  if (!snapshot && timeline.length === 0) return null;
  return {
    omisell_order_number: orderNumber,
    order: snapshot ? parsePayload(snapshot.data) : null,
    status_name: snapshot?.status_name ?? null,
    fetched_at: snapshot?.fetched_at ?? null,
    last_event_id: snapshot?.last_event_id ?? null,
    events: timeline.reverse().map(toEventSummary),
  };
}

export async function readStats(db: D1Database, now: number) {
  const [rows, pushCoverage] = await Promise.all([
    readEventStats(db, statsWindowStart(now)),
    readPushCoverage(db, now),
  ]);
  return { ...toStats(rows, now), push_coverage: pushCoverage };
}
