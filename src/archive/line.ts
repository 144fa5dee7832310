/** One archived event as a line of NDJSON: what the archive keeps of it, and in what shape. */
import { type PublicEventSummary, publicEventSummary } from "../events/summary";
import { parseJsonOr } from "../lib/json";
import type { ArchivableEventRow } from "../store/archive";
import { decodeWholeEventRow } from "../store/event-columns";

/**
 * An event as the archive keeps it: its public summary (as the API shows it, `seq` included), the
 * body exactly as received (text), the request headers kept for debugging, and the order's snapshot
 * as it stood when the line was written (null when there was none). `archived_at` is when the line
 * was written to ARCHIVE; null in a line read from D1 (an event not archived yet).
 */
export type ArchiveLine = {
  event: PublicEventSummary;
  payload: string;
  headers: Record<string, string> | null;
  order: unknown;
  order_fetched_at: number | null;
  archived_at: number | null;
};

/** The line of a stored event with its order's snapshot. */
export function archiveLine(row: ArchivableEventRow, archivedAt: number | null): ArchiveLine {
  const event = decodeWholeEventRow(row);
  return {
    event: publicEventSummary(event),
    payload: event.payload,
    headers: event.headers,
    order: row.order_data === null ? null : parseJsonOr(row.order_data, row.order_data),
    order_fetched_at: row.order_fetched_at,
    archived_at: archivedAt,
  };
}

/** Lines as NDJSON: one JSON object a line, each ended by a newline. */
export function toNdjson(lines: readonly ArchiveLine[]): string {
  return lines.map((line) => `${JSON.stringify(line)}\n`).join("");
}
