/** All SQL of the freshness histogram (migrations/0015): kept by a trigger on settling, read by slot. */

/** Width of a histogram slot: events are counted by the 10 minutes they settled in. */
export const FRESHNESS_SLOT_MS = 600_000;

/** One row of the histogram: a slot, a bucket (its upper edge in seconds), how many settled. */
export type FreshnessRow = { slot: number; le_seconds: number; n: number };

/** The statements, by name, so the query-plan test explains exactly what runs. */
export const FRESHNESS_SQL = {
  /** ?1: the first slot (ms). A range of the primary key: at most (slots × buckets) rows, whatever the events. */
  since: "SELECT slot, le_seconds, n FROM freshness_histogram WHERE slot >= ?1",
  /** ?1: slots before this (ms) are dropped. */
  dropBefore: "DELETE FROM freshness_histogram WHERE slot < ?1",
} as const;

/** The start of the slot `at` (ms) falls in. */
export function slotOf(at: number): number {
  return Math.floor(at / FRESHNESS_SLOT_MS) * FRESHNESS_SLOT_MS;
}

/** Every histogram row of the slots from `firstSlot` (ms) on. */
export async function readFreshnessSince(db: D1Database, firstSlot: number): Promise<FreshnessRow[]> {
  const { results } = await db.prepare(FRESHNESS_SQL.since).bind(firstSlot).all<FreshnessRow>();
  return results;
}

/** Drops the slots before `slotBound` (ms); returns how many rows went. */
export async function dropFreshnessBefore(db: D1Database, slotBound: number): Promise<number> {
  const result = await db.prepare(FRESHNESS_SQL.dropBefore).bind(slotBound).run();
  return result.meta.changes;
}
