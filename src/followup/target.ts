/** What the follow-up of an event fetches: its order, or nothing (skipped). Pure. */
import type { FollowupEvent } from "../store/followup-state";

export type FollowupTarget = { kind: "order"; orderNumber: string } | { kind: "skip"; reason: string };

/**
 * Every category (order, shipment, return, sale_invoice) is about an order, and Omisell's pushes
 * carry its `omisell_order_number`; the order detail includes the parcels (shipments), so one
 * endpoint serves all four. An event of a name nobody has listed (`unknown`) is fetched too when it
 * carries an order number: the catalogue is open, and the order is what the push says changed.
 * Only an `invalid` push, or one without an order number, has nothing to fetch and is skipped.
 */
export function followupTarget(event: Pick<FollowupEvent, "event" | "category" | "order_number">): FollowupTarget {
  if (event.category === "invalid") {
    return { kind: "skip", reason: `nothing to fetch for event "${event.event ?? ""}" (category ${event.category})` };
  }
  const orderNumber = event.order_number?.trim();
  if (!orderNumber) return { kind: "skip", reason: "nothing to fetch: the push has no omisell_order_number" };
  return { kind: "order", orderNumber };
}
