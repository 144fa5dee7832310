/**
 * Cron work, every minute (wrangler.toml [triggers]): re-enqueue stuck follow-ups, then purge
 * what is past retention. The two are independent: one failing does not stop the other.
 */
import { describeError } from "../errors";
import { log } from "../lib/log";
import { runForwardingCron } from "./forwarding";
import { purgePastRetention } from "./retention";
import { sweepStuckFollowups } from "./sweeper";

export async function runScheduled(controller: ScheduledController, env: Env): Promise<void> {
  const now = controller.scheduledTime;
  await runForwardingCron(env, now); // never throws: logs its own failures
  const [swept, purged] = await Promise.allSettled([sweepStuckFollowups(env, now), purgePastRetention(env, now)]);
  if (swept.status === "rejected") log("error", "sweep_failed", { error: describeError(swept.reason) });
  if (purged.status === "rejected") log("error", "purge_failed", { error: describeError(purged.reason) });
  // Still fail the invocation, so the cron's own status shows the problem.
  if (swept.status === "rejected") throw swept.reason;
  if (purged.status === "rejected") throw purged.reason;
}
