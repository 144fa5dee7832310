/**
 * Cron work, every minute (wrangler.toml [triggers]): re-enqueue stuck follow-ups, purge what is
 * past retention, roll new events up into the stats' counts. They are independent: one failing
 * does not stop the others.
 */
import { describeError } from "../errors";
import { log } from "../lib/log";
import { purgePastRetention } from "./retention";
import { rollUpEventCounts } from "./rollup";
import { sweepStuckFollowups } from "./sweeper";

export async function runScheduled(controller: ScheduledController, env: Env): Promise<void> {
  const now = controller.scheduledTime;
  const [swept, purged, rolled] = await Promise.allSettled([
    sweepStuckFollowups(env, now),
    purgePastRetention(env, now),
    rollUpEventCounts(env, now),
  ]);
  if (swept.status === "rejected") log("error", "sweep_failed", { error: describeError(swept.reason) });
  if (purged.status === "rejected") log("error", "purge_failed", { error: describeError(purged.reason) });
  if (rolled.status === "rejected") log("error", "rollup_failed", { error: describeError(rolled.reason) });
  // Still fail the invocation, so the cron's own status shows the problem.
  if (swept.status === "rejected") throw swept.reason;
  if (purged.status === "rejected") throw purged.reason;
  if (rolled.status === "rejected") throw rolled.reason;
}
