/**
 * The sweeper: re-enqueues events still `received` whose follow-up is overdue by
 * SWEEP_AFTER_SECONDS (a lost enqueue, a consumer that crashed, a replay whose enqueue failed).
 * It marks what it re-enqueued, so running it again right away sends nothing twice; an event
 * waiting out a retry delay is not overdue until that delay has passed.
 */
import { readConfig } from "../config";
import { enqueueFollowups } from "../followup/message";
import { encodeIdTime } from "../lib/ids";
import { log } from "../lib/log";
import { listOverdueFollowups, markFollowupsRescheduled } from "../store/followup-state";

/** Per run; the cron runs every minute, so a large backlog drains over a few runs. */
const SWEEP_LIMIT = 500;

export async function sweepStuckFollowups(env: Env, nowMs: number): Promise<number> {
  const config = readConfig(env);
  const overdueBefore = nowMs - config.SWEEP_AFTER_MS;
  const ids = await listOverdueFollowups(env.DB, encodeIdTime(overdueBefore), overdueBefore, SWEEP_LIMIT);
  if (ids.length === 0) return 0;
  // Marked before sending, so a message the consumer reschedules meanwhile keeps its later time
  // (the mark never moves next_attempt_at back); a failed send is swept again next period.
  await markFollowupsRescheduled(env.DB, ids, nowMs);
  await enqueueFollowups(env.FOLLOWUPS, ids, "sweep");
  log("warn", "followups_swept", { count: ids.length });
  return ids.length;
}
