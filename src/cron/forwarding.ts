/** Forwarding's share of the every-minute cron. */
import { describeError } from "../errors";
import { catchUpDeliveries } from "../forward/catch-up";
import { liveForwardDeps } from "../forward/deps";
import { sweepDeliveries } from "../forward/enqueue";
import { log } from "../lib/log";

export type ForwardingCronResult = { caughtUp: number; swept: number };

/**
 * Creates the deliveries of settled events that have none (the catch-up along the change feed),
 * and re-sends pending deliveries whose message was lost (deliveries past retention are the
 * retention policy's, src/retention). Never throws: each part logs its own failure, so
 * forwarding can never stop the cron's other work.
 */
export async function runForwardingCron(env: Env, now: number): Promise<ForwardingCronResult> {
  const deps = liveForwardDeps(env);
  const [caughtUp, swept] = await Promise.allSettled([catchUpDeliveries(deps, now), sweepDeliveries(deps, now)]);
  if (caughtUp.status === "rejected") {
    log("error", "forward_catch_up_failed", { error: describeError(caughtUp.reason) });
  }
  if (swept.status === "rejected") log("error", "forward_sweep_failed", { error: describeError(swept.reason) });
  const count = (result: PromiseSettledResult<number>) => (result.status === "fulfilled" ? result.value : 0);
  return { caughtUp: count(caughtUp), swept: count(swept) };
}
