/** The rule of reconciliation: which listed order changes no push told us about. Pure. */
import type { OrderChange } from "../omisell/order-list-walk";

export const PUSH_CLOCK_SKEW_MS = 60_000;
export const RECONCILE_EVENT = "reconcile.order_changed";

/** `latestPushAt`: ms of the newest push received about the order, undefined when there is none. */
/**
 * A listed change was missed when no push about its order was received at or after the change's
 * `updated_time`, less PUSH_CLOCK_SKEW_MS for the difference between Omisell's clock and ours.
 */
export function isMissedChange(updatedTimeSeconds: number, latestPushAt: number | undefined): boolean {
  return latestPushAt === undefined || latestPushAt < updatedTimeSeconds * 1000 - PUSH_CLOCK_SKEW_MS;
}

export function missedChanges(changes: OrderChange[], latestPushByOrder: Map<string, number>): OrderChange[] {
  return changes.filter((change) =>
    isMissedChange(change.updatedTime, latestPushByOrder.get(change.omisellOrderNumber)),
  );
}

/** One change, one event: listing it again (overlapping windows, a rerun) stores nothing new. */
export function reconcileDedupeKey(change: OrderChange): string {
  return `reconcile:${change.omisellOrderNumber}:${change.updatedTime}`;
}
