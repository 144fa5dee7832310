/** Deliveries sent again: by the cron sweeper when their message was lost, and by hand when they ended `failed`. */
import { describeError } from "../errors";
import { log } from "../lib/log";
import type { DeliveryStatus } from "../store/deliveries";
import { reopenDelivery, takeOverdueDeliveries } from "../store/delivery-lists";
import { syncDefaultStatements } from "../store/destinations";
import { RETRY_WINDOW_MS } from "./backoff";
import type { ForwardDeps } from "./deps";
import { sendForwards } from "./message";

/** A pending delivery whose attempt is this overdue has lost its message: the sweeper re-sends it. */
export const SWEEP_GRACE_MS = 5 * 60_000;
const SWEEP_BATCH = 500;

/** Brings the default destination in step with FORWARD_URL before a read of destination states. */
export async function syncDefaultDestination(deps: ForwardDeps, now: number): Promise<void> {
  await deps.db.batch(syncDefaultStatements(deps.db, deps.config.destination?.url ?? null, now));
}

/**
 * Cron: re-sends pending deliveries of active destinations whose next attempt is overdue by more
 * than SWEEP_GRACE_MS (a message that was never sent, an attempt that crashed, a destination
 * resumed with more waiting than its resume sent at once), oldest first. Returns how many.
 */
export async function sweepDeliveries(deps: ForwardDeps, now: number): Promise<number> {
  await syncDefaultDestination(deps, now);
  const ids = await takeOverdueDeliveries(deps.db, now - SWEEP_GRACE_MS, now, SWEEP_BATCH);
  await sendForwards(deps.queue, ids);
  if (ids.length > 0) log("warn", "forward_swept", { deliveries: ids.length });
  return ids.length;
}

export type RetryOutcome =
  | { kind: "queued" }
  | { kind: "off" }
  | { kind: "not_found" }
  | { kind: "not_failed"; status: DeliveryStatus };

/**
 * A manual retry of a `failed` delivery: back to `pending` (attempts and last error kept as
 * history), tried again at once and for another 3 days. Anything but `failed` is left alone, and
 * so is a delivery whose destination is gone or is FORWARD_URL's while that is unset (`off`).
 */
export async function retryDelivery(deps: ForwardDeps, id: string): Promise<RetryOutcome> {
  const now = deps.now();
  await syncDefaultDestination(deps, now);
  const reopened = await reopenDelivery(deps.db, id, now, now + RETRY_WINDOW_MS);
  if (!reopened) return { kind: "not_found" };
  if (reopened.destinationOff) return { kind: "off" };
  if (reopened.previous !== "failed") return { kind: "not_failed", status: reopened.previous };
  try {
    await sendForwards(deps.queue, [id]);
  } catch (err) {
    log("error", "forward_send_failed", { delivery_id: id, error: describeError(err) });
  }
  log("info", "forward_retried_by_hand", { delivery_id: id });
  return { kind: "queued" };
}
