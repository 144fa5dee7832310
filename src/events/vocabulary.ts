/**
 * The words every layer uses about a stored push: its statuses, the columns of an event row (one
 * list, from which the row type, the SELECT lists and the insert are derived) and the columns the
 * event list filters on. Imports nothing from push, follow-up, API or dashboard.
 */
import { z } from "zod";

/** `received` -> `processed` | `skipped` | `failed`; or `invalid`. The one list; the type follows it. */
export const EVENT_STATUSES = ["received", "processed", "skipped", "failed", "invalid"] as const;
export type EventStatus = (typeof EVENT_STATUSES)[number];

const text = z.string();
const optionalText = z.string().nullable();
const ms = z.number();

/**
 * The columns of an event, in order, with their values as the code sees them. `signature_valid`
 * is true (valid), false (invalid, kept in `report` mode) or null (not checked); how it is
 * written to D1 is the store's business.
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
  received_at: ms,
  processed_at: ms.nullable(),
  seq: z.number().int().nullable(),
  payload: text,
});

export type EventRow = z.infer<typeof EventRowShape>;
export type EventColumn = keyof EventRow;

/** Every column of an event row, in table order. */
export const EVENT_COLUMNS = Object.keys(EventRowShape.shape) as EventColumn[];

/** An event without its payload: what lists, timelines and stats show. */
export type EventSummaryRow = Omit<EventRow, "payload">;
export const SUMMARY_COLUMNS = EVENT_COLUMNS.filter((column) => column !== "payload");

/** What a new push stores; the follow-up columns start empty and a trigger assigns `seq`. */
export type NewEvent = Omit<EventRow, "attempts" | "last_error" | "processed_at" | "seq">;
export const NEW_EVENT_COLUMNS = EVENT_COLUMNS.filter(
  (column): column is keyof NewEvent =>
    column !== "attempts" && column !== "last_error" && column !== "processed_at" && column !== "seq",
);

/**
 * Equality filters of the event list; each has a `(column, id)` index (migrations/0001).
 * `order_number` finds every event of an order, also its shipments, returns and invoices,
 * whose `resource_id` is their own number.
 */
export const LIST_FILTER_COLUMNS = ["event", "category", "status", "resource_id", "order_number", "seller_id"] as const;
export type ListFilterColumn = (typeof LIST_FILTER_COLUMNS)[number];
