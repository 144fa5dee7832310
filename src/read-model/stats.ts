/** The stats the API answers and the dashboard's overview shows: their shape, and how counts become them. */
import { z } from "zod";
import { publicEventSummary } from "../events/summary";
import { EVENT_STATUSES, EventRowShape } from "../events/vocabulary";
import { readPushCoverage } from "../reconcile/figures";
import { type EventStatsRows, readEventStats } from "../store/stats";
import { EventSummary } from "./event-shapes";
import { Freshness, readFreshness } from "./freshness";

/** One hourly bucket of the stats, in ms. */
export const HOUR_MS = 3_600_000;

const HourCounts = z.object({
  hour_start: z.int().meta({ description: "Start of the hour (ms)." }),
  total: z.int(),
  by_category: z.record(z.string(), z.int()),
});

/** Counts by status and event, backlog, failures, last push, 24 hourly buckets, push coverage, freshness. */
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
    last_received: EventRowShape.pick({ id: true, event: true, received_at: true }).nullable(),
    hourly: z.array(HourCounts).meta({ description: "The last 24 hours, oldest first, by category." }),
    push_coverage: z.number().min(0).max(1).nullable().meta({
      description:
        "Share of the order changes listed by the reconciliation runs (periodic and manual) started in the last 24 h and done that came with a push (0 to 1); null when nothing was listed.",
    }),
    counts_complete: z.boolean().meta({
      description: "False while more events wait for the cron's rollup than the stats count live.",
    }),
    freshness: Freshness,
  })
  .meta({ id: "Stats" });
export type Stats = z.infer<typeof Stats>;

/** Start of the first of the 24 hourly buckets ending with the current hour. */
export function statsWindowStart(now: number): number {
  return (Math.floor(now / HOUR_MS) - 23) * HOUR_MS;
}

/**
 * The figures of the event counts, pure; `push_coverage` comes from reconciliation and `freshness`
 * from its histogram (`readStats`).
 */
export function toStats(rows: EventStatsRows, now: number): Omit<Stats, "push_coverage" | "freshness"> {
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
      recent: rows.recentFailures.map(publicEventSummary),
    },
    last_received: rows.lastReceived,
    hourly,
    counts_complete: rows.complete,
  };
}

/** The stats at `now`: the event counts, reconciliation's push coverage and freshness, read together. */
export async function readStats(db: D1Database, now: number): Promise<Stats> {
  const windowStart = statsWindowStart(now);
  const [rows, pushCoverage, freshness] = await Promise.all([
    readEventStats(db, windowStart),
    readPushCoverage(db, now),
    readFreshness(db, now, windowStart),
  ]);
  return { ...toStats(rows, now), push_coverage: pushCoverage, freshness };
}
