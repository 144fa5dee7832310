/** Forwarding's entry points for the rest of the worker; each is a no-op while forwarding is off. */
import { describeError } from "../errors";
import { newUlid } from "../lib/ids";
import { log } from "../lib/log";
import { createDeliveries, type DeliveryStatus, reopenDelivery, takeOverdueDeliveries } from "../store/deliveries";
import { RETRY_WINDOW_MS } from "./backoff";
import type { ForwardDeps } from "./deps";
import { sendForwards } from "./message";

/** A pending delivery whose attempt is this overdue has lost its message: the sweeper re-sends it. */
export const SWEEP_GRACE_MS = 5 * 60_000;
const SWEEP_BATCH = 500;

/**
 * Creates a pending delivery for each of `eventIds` that has settled (`processed`, `skipped` or
 * `failed`) and has none for this settlement yet, and sends their messages. Never throws: a
 * failure is logged, and a delivery created but not sent is re-sent by `sweepDeliveries`.
 * Returns the ids of the deliveries created.
 */
export async function enqueueDeliveries(deps: ForwardDeps, eventIds: string[]): Promise<string[]> {
  if (eventIds.length === 0 || !deps.config.destination) return [];
  const now = deps.now();
  let created: string[] = [];
  try {
    const items = [...new Set(eventIds)].map((eventId) => ({ id: newUlid(now), eventId }));
    created = await createDeliveries(deps.db, items, now, now + RETRY_WINDOW_MS);
    await sendForwards(deps.queue, created);
  } catch (err) {
    log("error", "forward_enqueue_failed", {
      events: eventIds.length,
      created: created.length,
      error: describeError(err),
    });
  }
  return created;
}

/**
 * Cron: re-sends pending deliveries whose next attempt is overdue by more than SWEEP_GRACE_MS
 * (a message that was never sent, or an attempt that crashed), oldest first. Returns how many.
 */
export async function sweepDeliveries(deps: ForwardDeps, now: number): Promise<number> {
  if (!deps.config.destination) return 0;
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
 * history), tried again at once and for another 3 days. Anything but `failed` is left alone.
 */
export async function retryDelivery(deps: ForwardDeps, id: string): Promise<RetryOutcome> {
  if (!deps.config.destination) return { kind: "off" };
  const now = deps.now();
  const reopened = await reopenDelivery(deps.db, id, now, now + RETRY_WINDOW_MS);
  if (!reopened) return { kind: "not_found" };
  if (reopened.previous !== "failed") return { kind: "not_failed", status: reopened.previous };
  try {
    await sendForwards(deps.queue, [id]);
  } catch (err) {
    log("error", "forward_send_failed", { delivery_id: id, error: describeError(err) });
  }
  log("info", "forward_retried_by_hand", { delivery_id: id });
  return { kind: "queued" };
}
