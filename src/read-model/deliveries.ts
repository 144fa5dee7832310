/** Forwarding's deliveries as the API and the dashboard show them, never with the internal `settlement`. */
import { z } from "zod";
import { readConfig } from "../config";
import { DELIVERY_STATUSES } from "../store/deliveries";
import {
  type DeliveryWithEvent,
  listDeliveries,
  listFailedDeliveries,
  listRetryingDeliveries,
  readForwardingFigures,
} from "../store/delivery-reads";
import { asConfigured, listDestinationRows } from "../store/destinations";
import { cursorIdOrThrow, signCursor } from "./cursor";
import { columnsOf, pageCursor, pageSize, rowId, shownFields } from "./fields";

/** A destination id: `default` (FORWARD_URL's) or `dst_` and an id. */
export const DESTINATION_ID_PATTERN = /^(default|dst_[0-9A-HJKMNP-TV-Z]{26})$/;

const deliveryListId = (description: string) =>
  rowId("not an id (26 characters, Crockford base32)").meta({ description });

/** The delivery list's filters and page. */
export const ListDeliveriesQuery = z
  .object({
    status: z.enum(DELIVERY_STATUSES).meta({ description: "Delivery status." }).optional(),
    event_id: deliveryListId("Only the deliveries of this event.").optional(),
    destination_id: z
      .string()
      .regex(DESTINATION_ID_PATTERN, "not a destination id (default, or dst_ and 26 characters)")
      .meta({ description: "Only the deliveries to this destination." })
      .optional(),
    limit: pageSize(200, 50),
    cursor: pageCursor(),
  })
  .strict();

/** `{id}` of a delivery's paths. */
export const DeliveryIdParam = z.object({ id: deliveryListId("Delivery id (the webhook-id).") });

/**
 * A delivery: every column of the stored row but `settlement` (the store's key against
 * duplicates), and the name of its destination.
 */
export const Delivery = z
  .object(
    columnsOf<DeliveryWithEvent, "settlement" | "event_name" | "order_number">()({
      id: z.string().meta({ description: "Also the `webhook-id` header of every attempt." }),
      destination_id: z.string().meta({ description: "`default` (FORWARD_URL) or a destination's `dst_…` id." }),
      destination: z.string().nullable().meta({ description: "The destination's name; null once it is deleted." }),
      event_id: z.string(),
      status: z.enum(DELIVERY_STATUSES),
      attempts: z.int(),
      last_status_code: z.int().nullable().meta({ description: "null after a network error or timeout." }),
      last_error: z.string().nullable(),
      next_attempt_at: z.int().nullable().meta({ description: "ms; null once delivered or failed." }),
      last_attempt_at: z.int().nullable(),
      retry_until: z.int().meta({ description: "ms; no attempt is scheduled after it." }),
      delivered_at: z.int().nullable(),
      created_at: z.int().meta({ description: "ms; when the event settled." }),
    }),
  )
  .meta({ id: "Delivery" });
export type Delivery = z.infer<typeof Delivery>;

/** A stored row as shown: the fields `Delivery` declares, nothing else. */
export const toDelivery = shownFields(Delivery);

const Forwarding = z
  .enum(["on", "off"])
  .meta({ description: "Whether a destination is active now (FORWARD_URL's, or one made with the API)." });
type Forwarding = z.infer<typeof Forwarding>;

/** A page of deliveries, and whether forwarding is on now. */
export const DeliveryPage = z
  .object({
    deliveries: z.array(Delivery).meta({ description: "Newest first." }),
    next_cursor: z.string().nullable(),
    forwarding: Forwarding,
  })
  .meta({ id: "DeliveryPage" });
export type DeliveryPage = z.infer<typeof DeliveryPage>;

async function forwardingOf(env: Env): Promise<Forwarding> {
  const forwardUrl = readConfig(env).forward.destination?.url ?? null;
  const rows = await listDestinationRows(env.DB);
  return rows.some((row) => asConfigured(row, forwardUrl)?.state === "active") ? "on" : "off";
}

/** One page of deliveries, newest first. Whatever is stored is listed, also while forwarding is off. */
export async function readDeliveryPage(env: Env, query: z.infer<typeof ListDeliveriesQuery>): Promise<DeliveryPage> {
  const cursor = await cursorIdOrThrow(env, "deliveries", query.cursor);
  const page = await listDeliveries(env.DB, { ...query, cursor });
  return {
    deliveries: page.deliveries.map(toDelivery),
    next_cursor: page.next_cursor === null ? null : await signCursor(env, "deliveries", page.next_cursor),
    forwarding: await forwardingOf(env),
  };
}

/** The newest deliveries of one event (its page shows them). */
export async function readEventDeliveries(db: D1Database, eventId: string, limit = 20): Promise<Delivery[]> {
  return (await listDeliveries(db, { event_id: eventId, limit })).deliveries.map(toDelivery);
}

/** A delivery as the dashboard lists it: with its event's name and order (and its destination's name). */
export type ListedDelivery = Delivery & { event: string | null; order_number: string | null };

function toListedDelivery(row: DeliveryWithEvent): ListedDelivery {
  return { ...toDelivery(row), event: row.event_name, order_number: row.order_number };
}

/** The deliveries that need a look, and whether forwarding is on at all. */
export type FailingDeliveries = {
  /** Ended `failed`: retried only by hand. */
  failed: ListedDelivery[];
  /** Still pending after at least one refused attempt. */
  retrying: ListedDelivery[];
  forwarding: Forwarding;
};

/** Up to `limit` of each kind, newest first, each with its event's name and order. */
export async function readFailingDeliveries(env: Env, limit = 50): Promise<FailingDeliveries> {
  const [failed, retrying] = await Promise.all([
    listFailedDeliveries(env.DB, limit),
    listRetryingDeliveries(env.DB, limit),
  ]);
  return {
    failed: failed.map(toListedDelivery),
    retrying: retrying.map(toListedDelivery),
    forwarding: await forwardingOf(env),
  };
}

/** Counts above this show as "1000+": the overview never counts every failing delivery. */
export const FORWARDING_COUNT_CAP = 1000;

/** The overview's forwarding tile: on or off, the last success, how many deliveries fail. */
export type ForwardingSummary = {
  forwarding: Forwarding;
  lastDeliveredAt: number | null;
  /** Ended `failed`, plus still retrying after a refusal; each counted up to FORWARDING_COUNT_CAP. */
  failing: number;
  capped: boolean;
};

export async function readForwardingSummary(env: Env): Promise<ForwardingSummary> {
  const figures = await readForwardingFigures(env.DB, FORWARDING_COUNT_CAP);
  return {
    forwarding: await forwardingOf(env),
    lastDeliveredAt: figures.lastDeliveredAt,
    failing: figures.failed + figures.retrying,
    capped: figures.failed >= FORWARDING_COUNT_CAP || figures.retrying >= FORWARDING_COUNT_CAP,
  };
}
