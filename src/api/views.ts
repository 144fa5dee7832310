/**
 * Stored rows (already decoded by the store) turned into what the API answers: the payload
 * parsed when it is JSON, stats figures assembled into 24 hourly buckets. Pure functions.
 */

import type { z } from "zod";
import { publicEventSummary } from "../events/summary";
import { EVENT_STATUSES, type EventRow, type EventSummaryRow } from "../events/vocabulary";
import { parseJsonOr } from "../lib/json";
import type { EventStatsRows } from "../store/stats";
import type { EventDetail, EventSummary, Stats } from "./schemas";

/** One event as the API shows it (the stored columns are `EventSummaryRow`). */
export type EventSummaryView = z.infer<typeof EventSummary>;

export const HOUR_MS = 3_600_000;

/** The public summary (shared with the feed and forwarding), typed as the API schema declares it. */
export function toEventSummary(row: EventSummaryRow): EventSummaryView {
  return publicEventSummary(row);
}

/** The raw body parsed as JSON, or the text itself when it is not JSON (invalid pushes). */
export function parsePayload(raw: string): unknown {
  return parseJsonOr(raw, raw);
}

export function toEventDetail(row: EventRow): z.infer<typeof EventDetail> {
  return { ...toEventSummary(row), payload: parsePayload(row.payload), headers: row.headers ?? {} };
}

/** Start of the first of the 24 hourly buckets ending with the current hour. */
export function statsWindowStart(now: number): number {
  return (Math.floor(now / HOUR_MS) - 23) * HOUR_MS;
}

/** The figures of the event rows; `push_coverage` comes from reconciliation (reads.ts). */
export function toStats(rows: EventStatsRows, now: number): Omit<z.infer<typeof Stats>, "push_coverage"> {
  const byStatus = Object.fromEntries(EVENT_STATUSES.map((status) => [status, 0]));
  for (const { status, n } of rows.byStatus) byStatus[status] = n;
  const start = statsWindowStart(now);
  const hourly = Array.from({ length: 24 }, (_, i) => {
    const counts = rows.hourly[i] ?? [];
    return {
      hour_start: start + i * HOUR_MS,
      total: counts.reduce((sum, { n }) => sum + n, 0),
      by_category: Object.fromEntries(counts.map(({ category, n }) => [category, n])),
    };
  });
  return {
    generated_at: now,
    by_status: byStatus,
    by_event: Object.fromEntries(rows.byEvent.map(({ event, n }) => [event, n])),
    backlog: { received: byStatus.received ?? 0, oldest_received_at: rows.oldestBacklog?.received_at ?? null },
    failures: {
      total: byStatus.failed ?? 0,
      last_24h: rows.failedSince,
      recent: rows.recentFailures.map(toEventSummary),
    },
    last_received: rows.lastReceived,
    hourly,
    counts_complete: rows.complete,
  };
}
