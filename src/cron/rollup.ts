/** Cron step: roll new events up into the event counts the stats read. */
import { readConfig } from "../config";
import { log } from "../lib/log";
import { dropCountHoursBefore, rollUpEvents } from "../store/event-counts";
import { dropFreshnessBefore, slotOf } from "../store/freshness";

const CHUNK = 5_000;
const MAX_CHUNKS_PER_RUN = 20;
const HOUR_MS = 3_600_000;
const FRESHNESS_KEPT_MS = 48 * HOUR_MS;

/**
 * Rolls the events stored since the last run up into the counts, so neither the push nor the
 * stats ever count the events table, and drops the hours past retention. It reads only the rows
 * above its watermark, in chunks; rows above it are counted live by the stats (a bounded tail), so
 * the figures are current between runs; and drops the freshness histogram's slots older than two
 * days. Returns how many events it rolled up.
 */
export async function rollUpEventCounts(env: Env, nowMs: number): Promise<number> {
  let total = 0;
  for (let i = 0; i < MAX_CHUNKS_PER_RUN; i++) {
    const rolled = await rollUpEvents(env.DB, CHUNK, nowMs);
    total += rolled;
    if (rolled < CHUNK) break;
  }
  const retentionStart = nowMs - readConfig(env).retention.retentionMs;
  await dropCountHoursBefore(env.DB, Math.floor(retentionStart / HOUR_MS) * HOUR_MS - HOUR_MS);
  // The stats show freshness over 24 hours: two days of slots are kept.
  await dropFreshnessBefore(env.DB, slotOf(nowMs - FRESHNESS_KEPT_MS));
  if (total > 0) log("info", "event_counts_rolled_up", { events: total });
  return total;
}
