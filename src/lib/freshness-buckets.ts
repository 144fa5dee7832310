/** The fixed latency buckets freshness is counted in, and percentiles read from them. Pure. */

/**
 * Upper edges of the buckets, in seconds, roughly log-spaced from a second to a day. A latency of
 * `s` seconds falls in the first bucket whose edge is at least `s`; anything slower than 12 hours
 * falls in the last (reported as 86400). The trigger of migrations/0015 holds the same edges.
 */
export const FRESHNESS_EDGES_SECONDS = [
  1, 2, 3, 4, 5, 6, 8, 10, 12, 15, 20, 25, 30, 40, 50, 60, 75, 90, 120, 150, 180, 240, 300, 420, 600, 900, 1200, 1800,
  2700, 3600, 5400, 7200, 10800, 21600, 43200, 86400,
] as const;

const LAST_EDGE = FRESHNESS_EDGES_SECONDS[FRESHNESS_EDGES_SECONDS.length - 1] as number;

/** The bucket (its upper edge, seconds) of a latency in ms. */
export function bucketOf(latencyMs: number): number {
  return FRESHNESS_EDGES_SECONDS.find((edge) => latencyMs <= edge * 1000) ?? LAST_EDGE;
}

/** Counts per bucket: upper edge (seconds) → how many events. */
export type Histogram = ReadonlyMap<number, number>;

/** Adds the counts of `from` to `into`. */
export function addCounts(into: Map<number, number>, from: Iterable<readonly [number, number]>): void {
  for (const [edge, n] of from) into.set(edge, (into.get(edge) ?? 0) + n);
}

/**
 * The `p`-th percentile (0 < p ≤ 100) by nearest rank, as the upper edge of the bucket the
 * ranked value falls in: the ⌈p·n/100⌉-th smallest latency's bucket. Null when nothing was counted.
 * A brute force over the latencies themselves gives the same number when it maps its ranked value
 * to its bucket the same way (`bucketOf`).
 * @example percentileOf(new Map([[2, 90], [30, 10]]), 95) // 30
 */
export function percentileOf(histogram: Histogram, p: number): number | null {
  const total = [...histogram.values()].reduce((sum, n) => sum + n, 0);
  if (total <= 0) return null;
  // p · n first: with whole percents and counts the division is exact (no 57.00000000000001).
  const rank = Math.max(1, Math.ceil((p * total) / 100));
  let seen = 0;
  for (const edge of FRESHNESS_EDGES_SECONDS) {
    seen += histogram.get(edge) ?? 0;
    if (seen >= rank) return edge;
  }
  return LAST_EDGE;
}

/** The total count of a histogram. */
export function countOf(histogram: Histogram): number {
  return [...histogram.values()].reduce((sum, n) => sum + n, 0);
}
