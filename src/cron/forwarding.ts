/** Forwarding's share of the every-minute cron. */
import { readConfig } from "../config";
import { describeError } from "../errors";
import { catchUpDeliveries } from "../forward/catch-up";
import { liveForwardDeps } from "../forward/deps";
import { sweepDeliveries } from "../forward/enqueue";
import { encodeIdTime } from "../lib/ids";
import { log } from "../lib/log";
import { purgeDeliveriesBefore } from "../store/deliveries";

const PURGE_CHUNK = 500;
const MAX_PURGE_CHUNKS_PER_RUN = 10;

export type ForwardingCronResult = { caughtUp: number; swept: number; purged: number };

/**
 * Creates the deliveries of settled events that have none (the catch-up along the change feed),
 * re-sends pending deliveries whose message was lost, and deletes deliveries past retention (the
 * events they delivered are purged at the same age). Never throws: each part logs its own
 * failure, so forwarding can never stop the cron's other work.
 */
export async function runForwardingCron(env: Env, now: number): Promise<ForwardingCronResult> {
  const deps = liveForwardDeps(env);
  const [caughtUp, swept, purged] = await Promise.allSettled([
    catchUpDeliveries(deps, now),
    sweepDeliveries(deps, now),
    purgeOldDeliveries(env, now),
  ]);
  if (caughtUp.status === "rejected") {
    log("error", "forward_catch_up_failed", { error: describeError(caughtUp.reason) });
  }
  if (swept.status === "rejected") log("error", "forward_sweep_failed", { error: describeError(swept.reason) });
  if (purged.status === "rejected") log("error", "forward_purge_failed", { error: describeError(purged.reason) });
  const count = (result: PromiseSettledResult<number>) => (result.status === "fulfilled" ? result.value : 0);
  return { caughtUp: count(caughtUp), swept: count(swept), purged: count(purged) };
}

/** Deliveries created before the retention cutoff (ids start with their creation time), in bounded chunks. */
async function purgeOldDeliveries(env: Env, now: number): Promise<number> {
  const bound = encodeIdTime(now - readConfig(env).retention.retentionMs);
  let total = 0;
  for (let chunk = 0; chunk < MAX_PURGE_CHUNKS_PER_RUN; chunk++) {
    const deleted = await purgeDeliveriesBefore(env.DB, bound, PURGE_CHUNK);
    total += deleted;
    if (deleted < PURGE_CHUNK) break;
  }
  if (total > 0) log("info", "forward_deliveries_purged", { deliveries: total });
  return total;
}
