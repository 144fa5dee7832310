/** Retention (every-minute cron): what is past RETENTION_DAYS goes, never an event unseen. */
import { readConfig } from "../config";
import { encodeIdTime } from "../lib/ids";
import { log } from "../lib/log";
import { nudgeWalk } from "../queue/walk-nudge";
import { purgeSnapshotsBefore } from "../store/resources";
import { purgeSettledEventsBefore, settleExpiredFollowups } from "../store/retention";

const CHUNK = 500;
const MAX_CHUNKS_PER_RUN = 10;
/** How long a settled event is kept past the cutoff after it settled. */
export const SETTLED_GRACE_MS = 86_400_000;

type PurgeCounts = { events: number; snapshots: number; settled: number };

/** Runs chunk after chunk until one comes back short or the run's budget is spent. */
async function inChunks(work: (limit: number) => Promise<number>): Promise<number> {
  let total = 0;
  for (let i = 0; i < MAX_CHUNKS_PER_RUN; i++) {
    const done = await work(CHUNK);
    total += done;
    if (done < CHUNK) break;
  }
  return total;
}

/**
 * Deletes events received, and snapshots last fetched, more than RETENTION_DAYS ago. An event past
 * the cutoff still waiting for its follow-up is settled `failed` first (when its follow-up has been
 * idle for SWEEP_AFTER_SECONDS; one in progress, e.g. just replayed, is kept until it settles),
 * the destinations' walk is nudged to deliver it, and it is purged on a run at least
 * SETTLED_GRACE_MS later; an event settled again lately (a replay) waits as long, and an event
 * whose delivery is still pending (retried for up to 3 days) waits for it. Destinations count the
 * purged events their cursor had not reached (`events_lost`, in the delete's transaction). Event ids start with their arrival time, so the cutoff is an id
 * prefix and the delete walks the primary key; snapshots go by the resources_by_fetched_at index.
 * Work runs in bounded chunks so one cron run never holds D1 for long; a backlog is finished by
 * the following runs.
 */
export async function purgePastRetention(env: Env, nowMs: number): Promise<PurgeCounts> {
  const { retention, followup } = readConfig(env);
  const cutoff = nowMs - retention.retentionMs;
  const idBound = encodeIdTime(cutoff);
  const settled = await inChunks(async (limit) => {
    const ids = await settleExpiredFollowups(env.DB, idBound, nowMs - followup.sweepAfterMs, nowMs, limit);
    if (ids.length > 0) {
      log("warn", "retention_settled_unfinished", { events: ids.length });
      await nudgeWalk(env.FORWARDS);
    }
    return ids.length;
  });
  const counts = {
    settled,
    events: await inChunks((limit) => purgeSettledEventsBefore(env.DB, idBound, nowMs - SETTLED_GRACE_MS, limit)),
    snapshots: await inChunks((limit) => purgeSnapshotsBefore(env.DB, cutoff, limit)),
  };
  if (counts.events + counts.snapshots > 0) log("info", "retention_purged", { ...counts, cutoff });
  return counts;
}
