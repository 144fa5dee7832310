/** Freshness as the stats show it: percentiles of arrival → settled over the last hour, 24 hours and per hour. */
import { z } from "zod";
import { addCounts, countOf, type Histogram, percentileOf } from "../lib/freshness-buckets";
import { FRESHNESS_SLOT_MS, type FreshnessRow, readFreshnessSince, slotOf } from "../store/freshness";

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

const seconds = (what: string) =>
  z
    .int()
    .nullable()
    .meta({ description: `${what}, in seconds: the upper edge of the latency bucket it falls in; null when none.` });

/** Percentiles of one span. */
export const FreshnessFigures = z.object({
  p50_seconds: seconds("Median time from arrival to settled"),
  p95_seconds: seconds("95th percentile"),
  p99_seconds: seconds("99th percentile"),
  settled: z.int().meta({ description: "Events settled in the span (self-test pushes left out)." }),
});
export type FreshnessFigures = z.infer<typeof FreshnessFigures>;

/** Freshness over the last hour, the last 24 hours, and per hour (the same hours as `hourly`). */
export const Freshness = z
  .object({
    last_hour: FreshnessFigures,
    last_24h: FreshnessFigures,
    hourly: z
      .array(FreshnessFigures.extend({ hour_start: z.int().meta({ description: "Start of the hour (ms)." }) }))
      .meta({ description: "The last 24 hours, oldest first, by the hour events settled in." }),
  })
  .meta({
    id: "Freshness",
    description:
      "Time from a push's arrival (a replayed event: its reopen) to its event settling (processed, skipped or failed), from a histogram kept as events settle, counted by the 10 minutes they settled in: the last hour covers the 10-minute slots that overlap it (60 to 70 minutes). Buckets are fixed (1 s … 86400 s); a percentile is the upper edge of its bucket.",
  });
export type Freshness = z.infer<typeof Freshness>;

function figures(histogram: Histogram): FreshnessFigures {
  return {
    p50_seconds: percentileOf(histogram, 50),
    p95_seconds: percentileOf(histogram, 95),
    p99_seconds: percentileOf(histogram, 99),
    settled: countOf(histogram),
  };
}

function histogramOf(rows: readonly FreshnessRow[]): Map<number, number> {
  const histogram = new Map<number, number>();
  addCounts(
    histogram,
    rows.map((row) => [row.le_seconds, row.n] as const),
  );
  return histogram;
}

/** The first slot of the last hour: the slot the moment an hour ago falls in. */
export function lastHourFirstSlot(now: number): number {
  return slotOf(now - HOUR_MS);
}

/** The last hour's figures from the histogram rows of its slots (and any later ones). */
export function lastHourFreshness(rows: readonly FreshnessRow[], now: number): FreshnessFigures {
  const first = lastHourFirstSlot(now);
  return figures(histogramOf(rows.filter((row) => row.slot >= first)));
}

/**
 * The figures, pure: `rows` are the histogram's rows since the 24-hour span's first slot;
 * `firstHour` the start of the first of the 24 hourly figures.
 */
export function toFreshness(rows: readonly FreshnessRow[], now: number, firstHour: number): Freshness {
  const dayFirst = slotOf(now - DAY_MS);
  const hourly = Array.from({ length: 24 }, (_, i) => {
    const start = firstHour + i * HOUR_MS;
    const inHour = rows.filter((row) => row.slot >= start && row.slot < start + HOUR_MS);
    return { hour_start: start, ...figures(histogramOf(inHour)) };
  });
  return {
    last_hour: lastHourFreshness(rows, now),
    last_24h: figures(histogramOf(rows.filter((row) => row.slot >= dayFirst))),
    hourly,
  };
}

/** The freshness figures at `now`: one range read of the histogram (at most 24 h of slots × buckets rows). */
export async function readFreshness(db: D1Database, now: number, firstHour: number): Promise<Freshness> {
  const first = Math.min(slotOf(now - DAY_MS), firstHour - (firstHour % FRESHNESS_SLOT_MS));
  return toFreshness(await readFreshnessSince(db, first), now, firstHour);
}
