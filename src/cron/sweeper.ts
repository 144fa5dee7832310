/**
 * The sweeper: re-enqueues events still `received` whose follow-up is overdue by
 * SWEEP_AFTER_SECONDS (a lost enqueue, a consumer that crashed, a replay whose enqueue failed).
 * It marks what it re-enqueued, so running it again right away sends nothing twice; an event
 * waiting out a retry delay is not overdue until that delay has passed.
 */
import { readConfig } from "../config";
import { encodeIdTime } from "../lib/ids";
import { log } from "../lib/log";
import { listOverdueFollowups, markFollowupsRescheduled } from "../store/events";

/** Per run; the cron runs every minute, so a large backlog drains over a few runs. */
const SWEEP_LIMIT = 500;

export async function sweepStuckFollowups(env: Env, nowMs: number): Promise<number> {
  const config = readConfig(env);
  const overdueBefore = nowMs - config.SWEEP_AFTER_SECONDS * 1000;
  const ids = await listOverdueFollowups(env.DB, encodeIdTime(overdueBefore), overdueBefore, SWEEP_LIMIT);
  if (ids.length === 0) return 0;
  // sendBatch takes at most 100 messages.
  for (let start = 0; start < ids.length; start += 100) {
    const chunk = ids.slice(start, start + 100);
    await env.FOLLOWUPS.sendBatch(
      chunk.map((eventId) => ({ body: { eventId, reason: "sweep" as const }, contentType: "json" })),
    );
    await markFollowupsRescheduled(env.DB, chunk, nowMs);
  }
  log("warn", "followups_swept", { count: ids.length });
  return ids.length;
}
