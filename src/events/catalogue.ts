/** The push event names and what they are about: categories by prefix, and the names known so far. */

/** Longest prefix first: `order.si.` must win over `order.`. */
const CATEGORY_PREFIXES = [
  ["order.si.", "sale_invoice"],
  ["order_return.", "return"],
  ["shipment.", "shipment"],
  ["order.", "order"],
] as const;

export type KnownCategory = (typeof CATEGORY_PREFIXES)[number][1];
export type Category = KnownCategory | "unknown" | "invalid";

/** Every category an event row can have, in display order. */
export const CATEGORIES = [
  "order",
  "shipment",
  "return",
  "sale_invoice",
  "unknown",
  "invalid",
] as const satisfies readonly Category[];

/**
 * The category of an event name, by prefix. Matching is exact, case included: Omisell's names
 * are lower case, so `ORDER.created` is not a name Omisell has been seen to send and is shown
 * as `unknown` (it is still stored, and followed up when it carries an order number). A prefix
 * alone (`order.`) names nothing and is `unknown` too.
 */
export function categoryOf(event: string): KnownCategory | "unknown" {
  for (const [prefix, category] of CATEGORY_PREFIXES) {
    if (event.startsWith(prefix) && event.length > prefix.length) return category;
  }
  return "unknown";
}

export type CatalogueMark = "documented" | "observed" | "unlisted";

/**
 * The names the catalogue knows, each with where it is known from: `documented` (Omisell's push
 * documentation lists them) or `observed` (production integrations handle them, Omisell's
 * documentation does not list them); any other name is `unlisted`. The catalogue is open: a
 * name's category comes from its prefix, so a name Omisell starts sending tomorrow is classified
 * like its neighbours and followed up like any other.
 */
export const EVENT_CATALOGUE = {
  "order.all": "documented",
  "order.created": "documented",
  "order.ready_to_ship": "documented",
  "order.shipped": "documented",
  "order.completed": "documented",
  "order.returned": "documented",
  "order.cancelled": "documented",
  "order.reconciled": "documented",
  "order.return_receive": "documented",
  "shipment.all": "documented",
  "shipment.created": "documented",
  "shipment.ready_to_ship": "documented",
  "shipment.shipped": "documented",
  "shipment.delivered": "documented",
  "shipment.returned": "documented",
  "shipment.cancelled": "documented",
  "order_return.all": "documented",
  "order.si.generate": "documented",
  "order.processing": "observed",
  "order.exceptions": "observed",
  "order.courier_lost_items": "observed",
  "order.update_lot_serial_number": "observed",
  "shipment.failed_delivery_attempt": "observed",
  "shipment.exceptions": "observed",
  "order_return.requested": "observed",
  "order_return.accepted": "observed",
  "order_return.processing": "observed",
  "order_return.returned": "observed",
  "order_return.closed": "observed",
  "order_return.cancelled": "observed",
} as const satisfies Record<string, Exclude<CatalogueMark, "unlisted">>;

export type KnownEvent = keyof typeof EVENT_CATALOGUE;
export const KNOWN_EVENTS = Object.keys(EVENT_CATALOGUE) as KnownEvent[];
export const DOCUMENTED_EVENTS = KNOWN_EVENTS.filter((name) => EVENT_CATALOGUE[name] === "documented");
export const OBSERVED_EVENTS = KNOWN_EVENTS.filter((name) => EVENT_CATALOGUE[name] === "observed");

/** Where an event name is known from; `unlisted` for any other name, and for no name at all. */
export function catalogueMark(event: string | null): CatalogueMark {
  return event !== null && Object.hasOwn(EVENT_CATALOGUE, event) ? EVENT_CATALOGUE[event as KnownEvent] : "unlisted";
}

/** Which identifier names the resource an event is about, per category (most specific first). */
export const RESOURCE_OF_CATEGORY = {
  order: { type: "order", idField: "omisell_order_number" },
  shipment: { type: "shipment", idField: "omisell_shipment_number" },
  return: { type: "return", idField: "return_order_number" },
  sale_invoice: { type: "invoice", idField: "invoice_number" },
} as const;
