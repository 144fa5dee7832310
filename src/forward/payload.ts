/** The JSON body of a forwarded delivery. Pure. */
import { publicEventSummary } from "../events/summary";
import type { EventSummaryRow } from "../events/vocabulary";
import { parseJsonOr } from "../lib/json";

/** `summary`: the order list's row of the order when it is newer than the snapshot `order` (else null or absent). */
export type DeliveryBodyInput = {
  createdAt: number;
  event: EventSummaryRow;
  order: string | null;
  summary?: string | null;
};

/**
 * `{"type": <event name>, "timestamp": <ISO>, "data": {"event": <summary>, "order": <snapshot or null>}}`.
 * `timestamp` is when the event settled (the delivery's creation), the same on every attempt of
 * one delivery; the attempt's own time is the `webhook-timestamp` header. `event` is the event
 * summary as the read API shows it (no payload) and `order` Omisell's order data from the stored
 * snapshot, both as they are at the attempt: a retry sends the latest order. When the order list
 * showed the order more recently than its snapshot (an event settled from the list), the listed
 * row is added to the order as `summary` (its `status_name` and `updated_time` are the newer ones).
 * The consumer never builds a body for an event that is `received` again (being replayed), so its
 * status is final.
 */
export function deliveryBody(input: DeliveryBodyInput): string {
  return JSON.stringify({
    type: input.event.event ?? input.event.category,
    timestamp: new Date(input.createdAt).toISOString(),
    data: { event: publicEventSummary(input.event), order: withSummary(parseJson(input.order), input.summary) },
  });
}

function parseJson(data: string | null | undefined): unknown {
  return data == null ? null : parseJsonOr(data, null);
}

function withSummary(order: unknown, summary: string | null | undefined): unknown {
  const listed = parseJson(summary);
  if (listed === null || typeof order !== "object" || order === null || Array.isArray(order)) return order;
  return { ...order, summary: listed };
}
