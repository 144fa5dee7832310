/**
 * The 18 push events Omisell documents, by category, and what each one points at. An event
 * name outside this list is still stored (category `unknown`) so that nothing is lost.
 */
export const EVENT_CATEGORIES = {
  "order.all": "order",
  "order.created": "order",
  "order.ready_to_ship": "order",
  "order.shipped": "order",
  "order.completed": "order",
  "order.returned": "order",
  "order.cancelled": "order",
  "order.reconciled": "order",
  "order.return_receive": "order",
  "shipment.all": "shipment",
  "shipment.created": "shipment",
  "shipment.ready_to_ship": "shipment",
  "shipment.shipped": "shipment",
  "shipment.delivered": "shipment",
  "shipment.returned": "shipment",
  "shipment.cancelled": "shipment",
  "order_return.all": "return",
  "order.si.generate": "sale_invoice",
} as const;

export type KnownEvent = keyof typeof EVENT_CATEGORIES;
export type KnownCategory = (typeof EVENT_CATEGORIES)[KnownEvent];
export type Category = KnownCategory | "unknown" | "invalid";

export const KNOWN_EVENTS = Object.keys(EVENT_CATEGORIES) as KnownEvent[];
/** Every category an event row can have, in display order. */
export const CATEGORIES = [
  "order",
  "shipment",
  "return",
  "sale_invoice",
  "unknown",
  "invalid",
] as const satisfies readonly Category[];

export function categoryOf(event: string): KnownCategory | "unknown" {
  return Object.hasOwn(EVENT_CATEGORIES, event) ? EVENT_CATEGORIES[event as KnownEvent] : "unknown";
}

/** Which identifier names the resource an event is about, per category (most specific first). */
export const RESOURCE_OF_CATEGORY = {
  order: { type: "order", idField: "omisell_order_number" },
  shipment: { type: "shipment", idField: "omisell_shipment_number" },
  return: { type: "return", idField: "return_order_number" },
  sale_invoice: { type: "invoice", idField: "invoice_number" },
} as const;
