/** The public shapes of events: what the list, one event, an order and the change feed take and answer. */
import { z } from "zod";
import { CATEGORIES, KNOWN_EVENTS } from "../events/catalogue";
import { EventSummaryShape } from "../events/summary";
import { EVENT_STATUSES } from "../events/vocabulary";
import { RECONCILE_EVENT } from "../reconcile/missed";
import { nextCursor, pageCursor, pageSize, queryTime, rowId, shortText, withDescriptions } from "./fields";

const timeBound = (what: string) =>
  queryTime().meta({
    description: `${what}: milliseconds since the epoch (1732780800000) or ISO 8601 (2024-11-28T08:00:00Z; UTC when no offset is given).`,
    examples: ["2024-11-28T00:00:00Z"],
  });

/** Event names to suggest in a filter: the catalogue's, and the one reconciliation stores. Any other name is a valid filter too. */
export const EVENT_NAME_SUGGESTIONS: readonly string[] = [...KNOWN_EVENTS, RECONCILE_EVENT];

/** The event list's filters, time bounds and page; the dashboard's overview validates with it too. */
export const ListEventsQuery = z
  .object({
    event: shortText(`Event name as sent, e.g. order.shipped. Known: ${KNOWN_EVENTS.join(", ")}.`).optional(),
    category: z.enum(CATEGORIES).meta({ description: "Event category." }).optional(),
    status: z.enum(EVENT_STATUSES).meta({ description: "Processing status." }).optional(),
    resource_id: shortText(
      "Identifier of the resource the event is about (order, shipment, return or invoice number).",
    ).optional(),
    order_number: shortText(
      "Omisell order number: every event of the order, also its shipment, return and invoice events.",
    ).optional(),
    seller_id: shortText("Omisell seller id.").optional(),
    since: timeBound("Only events received at or after this time").optional(),
    until: timeBound("Only events received before this time").optional(),
    limit: pageSize(200, 50),
    cursor: pageCursor(),
  })
  .strict()
  .superRefine((query, ctx) => {
    if (query.since !== undefined && query.until !== undefined && query.since >= query.until) {
      ctx.addIssue({ code: "custom", path: ["until"], message: "must be later than since" });
    }
  });

/** `{id}` of an event's paths (the dashboard also checks a replay's id with it). */
export const EventIdParam = z.object({
  id: rowId("not an event id (26 characters, Crockford base32)").meta({
    description: "Event id, as in Push-Event-Id.",
    examples: ["01JDQ3Z5J8X0K4M2N6P8R0T2V4"],
  }),
});

/** `{omisell_order_number}` of an order's path. */
export const OrderNumberParam = z.object({
  omisell_order_number: z
    .string()
    .min(1)
    .max(100)
    .meta({ description: "Omisell order number.", examples: ["OM2411280001"] }),
});

/** One event without its payload: the public summary (`events/summary.ts`), described for the reference. */
export const EventSummary = withDescriptions(EventSummaryShape, {
  dedupe_key: "request_id, or sha256:<hex> of the raw body when there was none.",
  order_number: "omisell_order_number the event concerns.",
  catalogue:
    "Where the event name is known from: Omisell's push documentation, production integrations (observed), or neither.",
  source:
    "push: Omisell sent it; reconcile: the order list showed a change no push told; selftest: the doctor's signed self-test push.",
  signature_valid: "null when the signature was not checked.",
  signature_scheme:
    "The scheme the signature matched: hmac (HMAC-SHA256 of url|body) or static (the header is the secret); null when not checked or nothing matched.",
  received_at: "ms since the epoch",
  seq: "Change-feed position: taken anew by every insert and status change.",
  settled_by:
    "How it was settled: detail (a fetch of its order's detail that started after it arrived), snapshot (the stored detail already covered it, no call), list (Omisell's order list showed its order changed at or after its arrival, less a minute of clock skew); null while waiting, and for skipped and failed events.",
}).meta({ id: "EventSummary" });
export type EventSummary = z.infer<typeof EventSummary>;

/** One event with what only its own page shows: the body and the kept request headers. */
export const EventDetail = EventSummary.extend({
  payload: z.unknown().meta({ description: "The body as received: parsed JSON, or the raw text if it is not JSON." }),
  headers: z.record(z.string(), z.string()).meta({
    description:
      "Request headers kept for debugging (lower-case names): Content-Type, User-Agent, Seller-ID, Country, request ids, x-omisell-*; never Authorization or Cookie. Empty when none was kept.",
  }),
}).meta({ id: "EventDetail" });
export type EventDetail = z.infer<typeof EventDetail>;

/** A page of the event list, newest first. */
export const EventPage = z
  .object({
    events: z.array(EventSummary).meta({ description: "Newest first." }),
    next_cursor: nextCursor(),
    partial: z.boolean().meta({
      description:
        "True when the page stopped at its scan budget (several rare filters together): it may hold fewer events than `limit`, even none, and `next_cursor` continues the scan.",
    }),
  })
  .meta({ id: "EventPage" });
export type EventPage = z.infer<typeof EventPage>;

/** An order: its latest snapshot from Omisell (or null) and its timeline. */
export const OrderView = z
  .object({
    omisell_order_number: z.string(),
    order: z.unknown().nullable().meta({ description: "Latest snapshot from Omisell's order detail, or null." }),
    status_name: z.string().nullable(),
    fetched_at: z.int().nullable().meta({ description: "When the snapshot was fetched (ms), or null." }),
    last_event_id: z.string().nullable(),
    summary: z.unknown().nullable().meta({
      description:
        "The order as Omisell's order list last showed it, when a listing settled one of its events (status_name, updated_time, …); null when never.",
    }),
    summary_at: z.int().nullable().meta({
      description:
        "When that list call started (ms). Later than fetched_at: the summary is newer than the snapshot, whose detail the backfill fetches again.",
    }),
    events: z.array(EventSummary).meta({ description: "Timeline, oldest first (the newest 500)." }),
  })
  .meta({ id: "OrderView" });
export type OrderView = z.infer<typeof OrderView>;

/** Where the change feed continues from, and how many changes at most. */
export const FeedQuery = z
  .object({
    // Digits, not z.coerce: a coerced number accepts null as 0, and the reference would then say nullable.
    after: z
      .string()
      .regex(/^\d{1,15}$/, "expected a non-negative integer: the next_after of a previous answer")
      .transform(Number)
      .default(0)
      .meta({ description: "The `next_after` of the previous answer; 0 (the default) starts at the beginning." }),
    limit: pageSize(500, 100),
  })
  .strict();

/** A page of the change feed: the events whose latest change is past `after`. */
export const FeedPage = z
  .object({
    changes: z.array(EventSummary).meta({
      description: "Events whose latest change is past `after`, ascending by `seq`, each with its current status.",
    }),
    next_after: z
      .int()
      .meta({ description: "Pass as `after` next time: the last `seq` returned, or `after` when none." }),
  })
  .meta({ id: "FeedPage" });
export type FeedPage = z.infer<typeof FeedPage>;
