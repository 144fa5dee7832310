/**
 * The words every layer uses about a stored push: statuses, the event row's columns, the list
 * filters. Imports nothing of ours.
 */
import { z } from "zod";

/** `received` -> `processed` | `skipped` | `failed`; or `invalid`. The one list; the type follows it. */
export const EVENT_STATUSES = ["received", "processed", "skipped", "failed", "invalid"] as const;
export type EventStatus = (typeof EVENT_STATUSES)[number];

const text = z.string();
const optionalText = z.string().nullable();
const ms = z.int();

/**
 * Where an event came from: Omisell pushed it, reconciliation found a change no push told, or the
 * doctor sent a signed self-test push (`SELFTEST_EVENT`): stored and deduplicated like a push, but
 * settled `skipped` on arrival, never followed up, forwarded, counted, archived or measured for
 * freshness, and purged after a day.
 */
export const EVENT_SOURCES = ["push", "reconcile", "selftest"] as const;
export type EventSource = (typeof EVENT_SOURCES)[number];

/** The event name of the doctor's self-test push (`npm run doctor -- --push-secret …`). */
export const SELFTEST_EVENT = "omisell_push.selftest";
/** Which signature scheme a push matched: HMAC of `url|body`, or a static secret in the header. */
export const SIGNATURE_SCHEMES = ["hmac", "static"] as const;
export type SignatureScheme = (typeof SIGNATURE_SCHEMES)[number];
/**
 * How a settled event was settled: `detail` (a fetch of its order's detail that started after it
 * arrived), `snapshot` (the stored detail already covered it, no call), `list` (the order list
 * showed its order changed at or after its arrival, less a minute of clock skew). Null for skipped
 * and failed events and for those still waiting.
 */
export const SETTLED_BY = ["detail", "list", "snapshot"] as const;
export type SettledBy = (typeof SETTLED_BY)[number];

/**
 * The columns of an event, in order, with their values as the code sees them: the one list from
 * which the row type, the SELECT lists and the insert are derived. `signature_valid`
 * is true (valid), false (invalid, kept in `report` mode) or null (not checked);
 * `signature_scheme` the scheme that matched, or null (not checked, or nothing matched);
 * `headers` the request headers kept for debugging (an allow-list, never a secret), or null.
 * How they are written to D1 is the store's business.
 */
export const EventRowShape = z.object({
  id: text,
  dedupe_key: text,
  request_id: optionalText,
  event: optionalText,
  category: text,
  seller_id: optionalText,
  resource_type: optionalText,
  resource_id: optionalText,
  order_number: optionalText,
  status: z.enum(EVENT_STATUSES),
  attempts: z.number().int(),
  last_error: optionalText,
  signature_valid: z.boolean().nullable(),
  signature_scheme: z.enum(SIGNATURE_SCHEMES).nullable(),
  source: z.enum(EVENT_SOURCES),
  received_at: ms,
  processed_at: ms.nullable(),
  settled_by: z.enum(SETTLED_BY).nullable(),
  seq: z.number().int().nullable(),
  payload: text,
  headers: z.record(z.string(), z.string()).nullable(),
});

export type EventRow = z.infer<typeof EventRowShape>;
export type EventColumn = keyof EventRow;

/** Every column of an event row, in table order. */
export const EVENT_COLUMNS = Object.keys(EventRowShape.shape) as EventColumn[];

/** The columns only one event's page shows: its body and its request headers. */
const DETAIL_COLUMNS = ["payload", "headers"] as const;
type DetailColumn = (typeof DETAIL_COLUMNS)[number];

/** An event without its payload and headers: what lists, timelines and stats show. */
export type EventSummaryRow = Omit<EventRow, DetailColumn>;
export const SUMMARY_COLUMNS = EVENT_COLUMNS.filter(
  (column): column is keyof EventSummaryRow => !(DETAIL_COLUMNS as readonly string[]).includes(column),
);

/**
 * Columns a new row may leave out: the store writes null, and `push` as the source. `last_error`
 * is set only for an `invalid` push (why it could not be used) and a self-test push (why it is
 * skipped); `processed_at` only for a self-test push, settled as it arrives.
 */
type DefaultedColumn = "signature_scheme" | "source" | "headers" | "last_error" | "processed_at";

/** The columns the follow-up fills in later; a new row leaves them empty (`processed_at` too, but
 * for a self-test push: see `DefaultedColumn`). */
const FOLLOWUP_COLUMNS = ["attempts", "settled_by", "seq"] as const;
type FollowupColumn = (typeof FOLLOWUP_COLUMNS)[number];

/** What a new event stores; the follow-up columns start empty and a trigger assigns `seq`. */
export type NewEvent = Omit<EventRow, FollowupColumn | DefaultedColumn> & Partial<Pick<EventRow, DefaultedColumn>>;
export const NEW_EVENT_COLUMNS = EVENT_COLUMNS.filter(
  (column): column is keyof NewEvent => !(FOLLOWUP_COLUMNS as readonly string[]).includes(column),
);

/**
 * Equality filters of the event list; each has a `(column, id)` index (migrations/0001).
 * `order_number` finds every event of an order, also its shipments, returns and invoices,
 * whose `resource_id` is their own number.
 */
export const LIST_FILTER_COLUMNS = ["event", "category", "status", "resource_id", "order_number", "seller_id"] as const;
export type ListFilterColumn = (typeof LIST_FILTER_COLUMNS)[number];
