/**
 * One event as the outside world sees it, in the read API, the change feed and forwarded
 * deliveries alike: the stored summary columns in a fixed order, plus where the name stands in
 * the catalogue. Pure; kept here so that every room that shows an event shows the same thing.
 */
import { type CatalogueMark, catalogueMark } from "./catalogue";
import type { EventSummaryRow } from "./vocabulary";

export type PublicEventSummary = {
  [K in keyof EventSummaryRow]: EventSummaryRow[K];
} & { catalogue: CatalogueMark };

export function publicEventSummary(row: EventSummaryRow): PublicEventSummary {
  return {
    id: row.id,
    dedupe_key: row.dedupe_key,
    request_id: row.request_id,
    event: row.event,
    category: row.category,
    seller_id: row.seller_id,
    resource_type: row.resource_type,
    resource_id: row.resource_id,
    order_number: row.order_number,
    status: row.status,
    attempts: row.attempts,
    last_error: row.last_error,
    catalogue: catalogueMark(row.event),
    source: row.source,
    signature_valid: row.signature_valid,
    signature_scheme: row.signature_scheme,
    received_at: row.received_at,
    processed_at: row.processed_at,
    seq: row.seq,
  };
}
