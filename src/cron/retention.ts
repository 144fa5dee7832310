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
import { purgeEventsBefore } from "../store/events";
import { purgeSnapshotsBefore } from "../store/resources";

const CHUNK = 500;
const MAX_CHUNKS_PER_RUN = 10;

export type PurgeCounts = { events: number; snapshots: number };

export async function purgePastRetention(env: Env, nowMs: number): Promise<PurgeCounts> {
  const config = readConfig(env);
  const cutoff = nowMs - config.RETENTION_DAYS * 86_400_000;
  const counts: PurgeCounts = { events: 0, snapshots: 0 };
  for (let i = 0; i < MAX_CHUNKS_PER_RUN; i++) {
    const deleted = await purgeEventsBefore(env.DB, encodeIdTime(cutoff), CHUNK);
    counts.events += deleted;
    if (deleted < CHUNK) break;
  }
  for (let i = 0; i < MAX_CHUNKS_PER_RUN; i++) {
    const deleted = await purgeSnapshotsBefore(env.DB, cutoff, CHUNK);
    counts.snapshots += deleted;
    if (deleted < CHUNK) break;
  }
  if (counts.events + counts.snapshots > 0) log("info", "retention_purged", { ...counts, cutoff });
  return counts;
}
