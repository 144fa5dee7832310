/** Events as the API and the dashboard show them: a page of the list, one event, an order, the change feed. */
import { publicEventSummary } from "../events/summary";
import type { EventRow } from "../events/vocabulary";
import { parseJsonOr } from "../lib/json";
import { getEvent, listEvents, orderTimeline } from "../store/event-reads";
import { readFeedPage } from "../store/feed";
import { getSnapshot } from "../store/resources";
import { cursorIdOrThrow, signCursor } from "./cursor";
import { type ListParams, toEventListQuery } from "./event-query";
import type { EventDetail, EventPage, FeedPage, OrderView } from "./event-shapes";

const ORDER_TIMELINE_LIMIT = 500;

/**
 * One page of the event list, newest first; `params.cursor` is a `next_cursor` as handed out (a
 * cursor this worker did not sign is the API's 400 naming `cursor`). One row more than asked
 * tells whether a next page exists without a COUNT; a page cut short by the scan budget is
 * `partial`, and its cursor continues from where the scan stopped.
 */
export async function readEventPage(env: Env, params: ListParams): Promise<EventPage> {
  const cursor = await cursorIdOrThrow(env, "events", params.cursor);
  const query = toEventListQuery({ ...params, cursor });
  const { rows, stoppedAt } = await listEvents(env.DB, { ...query, limit: params.limit + 1 });
  const page = rows.slice(0, params.limit);
  const last = page.at(-1);
  const next = rows.length > params.limit && last ? last.id : stoppedAt;
  return {
    events: page.map(publicEventSummary),
    next_cursor: next ? await signCursor(env, "events", next) : null,
    partial: stoppedAt !== null,
  };
}

/** One event with its payload and headers; null when no event has this id. */
export async function readEvent(db: D1Database, id: string): Promise<EventDetail | null> {
  const row = await getEvent(db, id);
  return row ? toEventDetail(row) : null;
}

/** The body as received: parsed JSON, or the text itself when it is not JSON (an invalid push). */
function jsonOrText(raw: string): unknown {
  return parseJsonOr(raw, raw);
}

/** A whole stored row as shown: the summary, the payload parsed when it is JSON, the headers kept (or none). */
export function toEventDetail(row: EventRow): EventDetail {
  return { ...publicEventSummary(row), payload: jsonOrText(row.payload), headers: row.headers ?? {} };
}

/** An order's latest snapshot and its newest 500 events, oldest first; null when neither exists. */
export async function readOrder(db: D1Database, orderNumber: string): Promise<OrderView | null> {
  const [snapshot, timeline] = await Promise.all([
    getSnapshot(db, "order", orderNumber),
    orderTimeline(db, orderNumber, ORDER_TIMELINE_LIMIT),
  ]);
  if (!snapshot && timeline.length === 0) return null;
  return {
    omisell_order_number: orderNumber,
    order: snapshot ? jsonOrText(snapshot.data) : null,
    status_name: snapshot?.status_name ?? null,
    fetched_at: snapshot?.fetched_at ?? null,
    last_event_id: snapshot?.last_event_id ?? null,
    summary: snapshot?.summary ? jsonOrText(snapshot.summary) : null,
    summary_at: snapshot?.summary_at ?? null,
    events: timeline.reverse().map(publicEventSummary),
  };
}

/** Up to `limit` events whose latest change is past `after`, lowest `seq` first. */
export async function readFeed(db: D1Database, after: number, limit: number): Promise<FeedPage> {
  const rows = await readFeedPage(db, after, limit);
  return { changes: rows.map(publicEventSummary), next_after: rows.at(-1)?.seq ?? after };
}
