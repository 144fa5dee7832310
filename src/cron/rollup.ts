/**
 * Cron step: roll the events of the last minutes up into the event counts the stats read, so
 * neither the push nor the stats ever count the events table. Only rows older than ROLLUP_LAG_MS
 * are rolled up: a push's insert lands within a moment of the time in its id, and a row that
 * arrived after the watermark passed its id would never be counted. The rows above the watermark
 * are counted live by the stats (a bounded tail), so the figures are current anyway.
 */
import { readConfig } from "../config";
import { encodeIdTime } from "../lib/ids";
import { log } from "../lib/log";
import { dropCountHoursBefore, rollUpEvents } from "../store/event-counts";

export const ROLLUP_LAG_MS = 60_000;
const CHUNK = 5_000;
const MAX_CHUNKS_PER_RUN = 20;
const HOUR_MS = 3_600_000;

export async function rollUpEventCounts(env: Env, nowMs: number): Promise<number> {
  const bound = encodeIdTime(nowMs - ROLLUP_LAG_MS);
  let total = 0;
  for (let i = 0; i < MAX_CHUNKS_PER_RUN; i++) {
    const rolled = await rollUpEvents(env.DB, bound, CHUNK, nowMs);
    total += rolled;
    if (rolled < CHUNK) break;
  }
  const retentionStart = nowMs - readConfig(env).RETENTION_MS;
  await dropCountHoursBefore(env.DB, Math.floor(retentionStart / HOUR_MS) * HOUR_MS - HOUR_MS);
  if (total > 0) log("info", "event_counts_rolled_up", { events: total });
  return total;
}
