/** Forwarding's share of the every-minute cron: the walk's fallback, the sweeper, disabling. */
import { readConfig } from "../config";
import { describeError } from "../errors";
import { liveForwardDeps } from "../forward/deps";
import { sweepDeliveries } from "../forward/retries";
import { walkDestinations } from "../forward/walker";
import { log } from "../lib/log";
import { disableFailingDestinations, dropDestinationHoursBefore } from "../store/destination-health";

/** The destinations' health shows 24 hours; two days of hourly counts are kept. */
const HOURS_KEPT_MS = 2 * 86_400_000;

export type ForwardingCronResult = { walked: number; swept: number; disabled: number };

/**
 * Walks every active destination along the change feed (the fallback of the nudges the settling
 * writes send), then re-sends pending deliveries whose message was lost, disables destinations
 * failing without a success for DESTINATION_DISABLE_AFTER_HOURS, and drops hourly counts past two
 * days (deliveries past retention are the retention policy's, src/retention). Never throws: each part logs its own failure, so
 * forwarding can never stop the cron's other work.
 */
export async function runForwardingCron(env: Env, now: number): Promise<ForwardingCronResult> {
  const deps = liveForwardDeps(env);
  const [walked] = await Promise.allSettled([walkDestinations(deps, now)]);
  const [swept, disabled, hours] = await Promise.allSettled([
    sweepDeliveries(deps, now),
    disableFailing(env, now),
    dropDestinationHoursBefore(env.DB, now - HOURS_KEPT_MS),
  ]);
  const parts = { walk: walked, sweep: swept, disable: disabled, hours };
  for (const [part, outcome] of Object.entries(parts)) {
    if (outcome.status === "rejected") log("error", `forward_${part}_failed`, { error: describeError(outcome.reason) });
  }
  const count = (result: PromiseSettledResult<number>) => (result.status === "fulfilled" ? result.value : 0);
  return { walked: count(walked), swept: count(swept), disabled: count(disabled) };
}

/** Active destinations failing without a success since the threshold become `disabled` (the alerts job tells). */
async function disableFailing(env: Env, now: number): Promise<number> {
  const { disableAfterMs } = readConfig(env).destinations;
  const disabled = await disableFailingDestinations(env.DB, now - disableAfterMs, now);
  for (const destination of disabled) {
    log("warn", "destination_disabled", { destination_id: destination.id, failing_since: destination.failing_since });
  }
  return disabled.length;
}
