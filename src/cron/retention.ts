/**
 * Retention: events received, and snapshots last fetched, more than RETENTION_DAYS ago are
 * deleted. Event ids start with their arrival time, so the cutoff is an id prefix and the
 * delete walks the primary key; snapshots go by the resources_by_fetched_at index. Deletes
 * run in bounded chunks so one cron run never holds D1 for long; a backlog is finished by the
 * following runs.
 */
import { readConfig } from "../config";
import { encodeIdTime } from "../lib/ids";
import { log } from "../lib/log";
import { purgeEventsBefore } from "../store/event-writes";
import { purgeSnapshotsBefore } from "../store/resources";

const CHUNK = 500;
const MAX_CHUNKS_PER_RUN = 10;

type PurgeCounts = { events: number; snapshots: number };

/** Deletes chunk after chunk until one comes back short or the run's budget is spent. */
async function purgeInChunks(purge: (limit: number) => Promise<number>): Promise<number> {
  let total = 0;
  for (let i = 0; i < MAX_CHUNKS_PER_RUN; i++) {
    const deleted = await purge(CHUNK);
    total += deleted;
    if (deleted < CHUNK) break;
  }
  return total;
}

export async function purgePastRetention(env: Env, nowMs: number): Promise<PurgeCounts> {
  const config = readConfig(env);
  const cutoff = nowMs - config.RETENTION_MS;
  const counts = {
    events: await purgeInChunks((limit) => purgeEventsBefore(env.DB, encodeIdTime(cutoff), limit)),
    snapshots: await purgeInChunks((limit) => purgeSnapshotsBefore(env.DB, cutoff, limit)),
  };
  if (counts.events + counts.snapshots > 0) log("info", "retention_purged", { ...counts, cutoff });
  return counts;
}
