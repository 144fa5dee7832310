/**
 * Zod schemas of the read API: what each endpoint accepts and answers. The route declarations
 * (`endpoints/`) validate with them and the OpenAPI document is generated from the same
 * declarations, so the two agree. The dashboard validates its filters with them too.
 */
import { z } from "zod";
import { CATEGORIES, KNOWN_EVENTS } from "../events/catalogue";
import { EVENT_SOURCES, EVENT_STATUSES, SIGNATURE_SCHEMES } from "../events/vocabulary";
import { ID_PATTERN } from "../lib/ids";
import { decodeCursor, parseTimeBound } from "./event-query";

/** A string read by `parse`; when it gives null, the parameter is invalid with `message`. */
const parsedString = <T>(parse: (text: string) => T | null, message: string) =>
  z.string().transform((text, ctx) => {
    const value = parse(text);
    if (value === null) {
      ctx.addIssue({ code: "custom", message });
      return z.NEVER;
    }
    return value;
  });

const timeBound = (what: string) =>
  parsedString(parseTimeBound, "expected milliseconds since the epoch or an ISO 8601 date-time").meta({
    description: `${what}: milliseconds since the epoch (1732780800000) or ISO 8601 (2024-11-28T08:00:00Z; UTC when no offset is given).`,
    examples: ["2024-11-28T00:00:00Z"],
  });

const shortText = (description: string) => z.string().min(1).max(200).meta({ description });

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
    limit: z.coerce.number().int().min(1).max(200).default(50).meta({ description: "Page size, 1 to 200." }),
    cursor: parsedString(decodeCursor, "not a cursor returned as next_cursor")
      .meta({ description: "The `next_cursor` of the previous page." })
      .optional(),
  })
  .strict()
  .superRefine((query, ctx) => {
    if (query.since !== undefined && query.until !== undefined && query.since >= query.until) {
      ctx.addIssue({ code: "custom", path: ["until"], message: "must be later than since" });
    }
  });

export const EventIdParam = z.object({
  id: z
    .string()
    .regex(ID_PATTERN, "not an event id (26 characters, Crockford base32)")
    .meta({ description: "Event id, as in Push-Event-Id.", examples: ["01JDQ3Z5J8X0K4M2N6P8R0T2V4"] }),
});

export const OrderNumberParam = z.object({
  omisell_order_number: z
    .string()
    .min(1)
    .max(100)
    .meta({ description: "Omisell order number.", examples: ["OM2411280001"] }),
});

export const EventSummary = z
  .object({
    id: z.string(),
    dedupe_key: z.string().meta({ description: "request_id, or sha256:<hex> of the raw body when there was none." }),
    request_id: z.string().nullable(),
    event: z.string().nullable(),
    category: z.string(),
    seller_id: z.string().nullable(),
    resource_type: z.string().nullable(),
    resource_id: z.string().nullable(),
    order_number: z.string().nullable().meta({ description: "omisell_order_number the event concerns." }),
    status: z.enum(EVENT_STATUSES),
    attempts: z.int(),
    last_error: z.string().nullable(),
    catalogue: z.enum(["documented", "observed", "unlisted"]).meta({
      description:
        "Where the event name is known from: Omisell's push documentation, production integrations (observed), or neither.",
    }),
    source: z
      .enum(EVENT_SOURCES)
      .meta({ description: "push: Omisell sent it; reconcile: the order list showed a change no push told." }),
    signature_valid: z.boolean().nullable().meta({ description: "null when the signature was not checked." }),
    signature_scheme: z.enum(SIGNATURE_SCHEMES).nullable().meta({
      description:
        "The scheme the signature matched: hmac (HMAC-SHA256 of url|body) or static (the header is the secret); null when not checked or nothing matched.",
    }),
    received_at: z.int().meta({ description: "ms since the epoch" }),
    processed_at: z.int().nullable(),
    seq: z
      .int()
      .nullable()
      .meta({ description: "Change-feed position: taken anew by every insert and status change." }),
  })
  .meta({ id: "EventSummary" });

export const EventDetail = EventSummary.extend({
  payload: z.unknown().meta({ description: "The body as received: parsed JSON, or the raw text if it is not JSON." }),
  headers: z.record(z.string(), z.string()).meta({
    description:
      "Request headers kept for debugging (lower-case names): Content-Type, User-Agent, Seller-ID, Country, request ids, x-omisell-*; never Authorization or Cookie. Empty when none was kept.",
  }),
}).meta({ id: "EventDetail" });

export const EventPage = z
  .object({
    events: z.array(EventSummary).meta({ description: "Newest first." }),
    next_cursor: z.string().nullable().meta({ description: "Pass as `cursor` for the next page; null on the last." }),
    partial: z.boolean().meta({
      description:
        "True when the page stopped at its scan budget (several rare filters together): it may hold fewer events than `limit`, even none, and `next_cursor` continues the scan.",
    }),
  })
  .meta({ id: "EventPage" });

export const OrderView = z
  .object({
    omisell_order_number: z.string(),
    order: z.unknown().nullable().meta({ description: "Latest snapshot from Omisell's order detail, or null." }),
    status_name: z.string().nullable(),
    fetched_at: z.int().nullable().meta({ description: "When the snapshot was fetched (ms), or null." }),
    last_event_id: z.string().nullable(),
    events: z.array(EventSummary).meta({ description: "Timeline, oldest first (the newest 500)." }),
  })
  .meta({ id: "OrderView" });

const HourCounts = z.object({
  hour_start: z.int().meta({ description: "Start of the hour (ms)." }),
  total: z.int(),
  by_category: z.record(z.string(), z.int()),
});

export const Stats = z
  .object({
    generated_at: z.int(),
    by_status: z.record(z.string(), z.int()).meta({ description: "Events per status (all retained)." }),
    by_event: z.record(z.string(), z.int()).meta({ description: "Events per event name (top 100)." }),
    backlog: z.object({
      received: z.int().meta({ description: "Events waiting for their follow-up." }),
      oldest_received_at: z.int().nullable(),
    }),
    failures: z.object({
      total: z.int(),
      last_24h: z.int(),
      recent: z.array(EventSummary),
    }),
    last_received: z.object({ id: z.string(), event: z.string().nullable(), received_at: z.int() }).nullable(),
    hourly: z.array(HourCounts).meta({ description: "The last 24 hours, oldest first, by category." }),
    push_coverage: z.number().min(0).max(1).nullable().meta({
      description:
        "Share of the order changes reconciliation listed in the last 24 h that came with a push (0 to 1); null when nothing was listed.",
    }),
    counts_complete: z.boolean().meta({
      description: "False while more events wait for the cron's rollup than the stats count live.",
    }),
  })
  .meta({ id: "Stats" });

export const ReplayAccepted = z
  .object({
    event_id: z.string(),
    status: z.enum(["queued", "scheduled"]).meta({
      description:
        "`queued`: the follow-up is on the queue. `scheduled`: the enqueue failed; the event is `received` and the cron sweeper sends it within SWEEP_AFTER_SECONDS.",
    }),
    note: z.string().optional(),
  })
  .meta({ id: "ReplayAccepted" });

export const ErrorBody = z
  .object({
    error: z.string(),
    message: z.string().optional(),
    fields: z.record(z.string(), z.string()).optional().meta({ description: "Invalid parameters by name." }),
  })
  .meta({ id: "Error" });

export const Health = z.object({ status: z.literal("ok") }).meta({ id: "Health" });
