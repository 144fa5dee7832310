/**
 * The entry points of forwarding for the rest of the worker: create and send the deliveries of
 * settled events, re-send the ones whose message was lost (cron), and retry a failed one by hand.
 * Each is a no-op while forwarding is off (FORWARD_URL unset or refused).
 */
import { readForwardConfig } from "../config";
import { describeError } from "../errors";
import { newUlid } from "../lib/ids";
import { log } from "../lib/log";
import { createDeliveries, type DeliveryStatus, reopenDelivery, takeOverdueDeliveries } from "../store/deliveries";
import { RETRY_WINDOW_MS } from "./backoff";
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
export async function enqueueDeliveries(env: Env, eventIds: string[]): Promise<string[]> {
  if (eventIds.length === 0 || !readForwardConfig(env)) return [];
  const now = Date.now();
  let created: string[] = [];
  try {
    const items = [...new Set(eventIds)].map((eventId) => ({ id: newUlid(now), eventId }));
    created = await createDeliveries(env.DB, items, now, now + RETRY_WINDOW_MS);
    await sendForwards(env.FORWARDS, created);
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
export async function sweepDeliveries(env: Env, now: number): Promise<number> {
  if (!readForwardConfig(env)) return 0;
  const ids = await takeOverdueDeliveries(env.DB, now - SWEEP_GRACE_MS, now, SWEEP_BATCH);
  await sendForwards(env.FORWARDS, ids);
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
export async function retryDelivery(env: Env, id: string): Promise<RetryOutcome> {
  if (!readForwardConfig(env)) return { kind: "off" };
  const now = Date.now();
  const reopened = await reopenDelivery(env.DB, id, now, now + RETRY_WINDOW_MS);
  if (!reopened) return { kind: "not_found" };
  if (reopened.previous !== "failed") return { kind: "not_failed", status: reopened.previous };
  try {
    await sendForwards(env.FORWARDS, [id]);
  } catch (err) {
    log("error", "forward_send_failed", { delivery_id: id, error: describeError(err) });
  }
  log("info", "forward_retried_by_hand", { delivery_id: id });
  return { kind: "queued" };
}
