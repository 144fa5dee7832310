/**
 * Settling status changes from Omisell's order list: one walk at a time per seller lists the orders
 * changed since the oldest waiting change, and settles every waiting event the listing shows
 * (this batch's and any other's), keeping each listed row as its order's summary.
 */
import { describeError } from "../errors";
import { log } from "../lib/log";
import { type OrderChange, walkOrderList } from "../omisell/order-list-walk";
import { ACK } from "../queue/fate";
import { claimListWalk, type ListedOrder, releaseListWalk, settleListedOrders } from "../store/list-settle";
import { type BatchDecision, eventIdsOf, retryWithBackoff, sendBack } from "./decision";
import type { FollowupQueueMessage } from "./message";
import type { Delivery, OrderGroup } from "./plan";

/**
 * Omisell's clock and ours may differ: a listed change settles an event received up to this long
 * after it (and the walk starts this long before the oldest waiting change).
 */
export const LIST_SKEW_MS = 60_000;
/** Pages one walk reads at most: 2,000 changed orders. */
export const LIST_WALK_MAX_PAGES = 20;
/** How long a walk holds its lease; it stops paging a little before. */
const WALK_LEASE_MS = 30_000;
const WALK_PAGING_MS = 25_000;

/** Time between the starts of two walks: a sixth of the target, at least a second. */
export function listWalkIntervalMs(targetMs: number): number {
  return Math.max(1_000, Math.floor(targetMs / 6));
}

const secondsUntil = (at: number, now: number) => Math.max(1, Math.ceil((at - now) / 1000));

/** Each listed order once, at its latest change. */
function latestPerOrder(changes: readonly OrderChange[]): ListedOrder[] {
  const latest = new Map<string, ListedOrder>();
  for (const change of changes) {
    const updatedMs = change.updatedTime * 1000;
    const seen = latest.get(change.omisellOrderNumber);
    if (!seen || seen.updatedMs < updatedMs) {
      latest.set(change.omisellOrderNumber, {
        orderNumber: change.omisellOrderNumber,
        updatedMs,
        summary: change.header,
      });
    }
  }
  return [...latest.values()];
}

/**
 * Settles `groups` (orders of one seller the choice gave to the list) from the order list. A batch
 * that gets the walk lists `[oldest waiting change − LIST_SKEW_MS, now]` (following `next`, at most
 * LIST_WALK_MAX_PAGES pages) and settles page by page; a batch that does not (a walk is running, or
 * one began less than listWalkIntervalMs ago) sends its messages back to find what that walk settled.
 * Events the listing did not show stay waiting: back after the interval, to be listed again or,
 * once three quarters of the target have passed (choice.ts `isListable`), fetched by detail. Every event settled
 * goes to forwarding.
 */
export async function settleFromList(
  batch: BatchDecision,
  sellerId: string | null,
  groups: readonly OrderGroup<FollowupQueueMessage>[],
  now: number,
): Promise<void> {
  const { deps, config } = batch;
  const deliveries = groups.flatMap((group) => group.deliveries);
  const interval = listWalkIntervalMs(config.freshnessTargetMs);
  const seller = sellerId ?? "";
  const token = crypto.randomUUID();
  let retryAt: number | null;
  try {
    retryAt = await claimListWalk(deps.db, { seller, token, now, until: now + WALK_LEASE_MS, intervalMs: interval });
  } catch (err) {
    log("error", "followup_list_claim_failed", { error: describeError(err) });
    retryWithBackoff(
      batch,
      deliveries.map((delivery) => delivery.message),
    );
    return;
  }
  if (retryAt !== null) {
    sendBack(
      batch,
      deliveries.map((delivery) => ({ delivery, delaySeconds: secondsUntil(retryAt, now) })),
    );
    return;
  }
  const settled = new Set<string>();
  let failure: { error: string; retryAfterSeconds?: number } | null = null;
  try {
    const oldest = Math.min(...deliveries.map((delivery) => delivery.event.received_at));
    const listedAt = deps.now();
    const walk = await walkOrderList(
      deps.listOrders(sellerId),
      { fromMs: oldest - LIST_SKEW_MS, toMs: listedAt },
      async (changes) => {
        for (const id of await settleListedOrders(
          deps.db,
          latestPerOrder(changes),
          listedAt,
          deps.now(),
          LIST_SKEW_MS,
        )) {
          settled.add(id);
        }
        if (deps.now() - listedAt > WALK_PAGING_MS) throw new WalkOutOfTime();
      },
      LIST_WALK_MAX_PAGES,
    );
    if (!walk.ok && !walk.pageCap) failure = { error: walk.error };
  } catch (err) {
    if (!(err instanceof WalkOutOfTime)) {
      // D1 failed while settling: what is not settled is retried.
      log("error", "followup_list_settle_failed", { error: describeError(err) });
      failure = { error: describeError(err) };
    }
  } finally {
    await releaseListWalk(deps.db, seller, token, deps.now()).catch(() => {});
  }
  finishListed(batch, deliveries, settled, failure, now + interval);
  if (settled.size > 0) {
    log("info", "followup_listed", {
      settled: settled.size,
      batch_settled: eventIdsOf(deliveries).filter((id) => settled.has(id)).length,
    });
    batch.settled = true; // the batch nudges the destinations' walk, which finds them on the feed
  }
}

class WalkOutOfTime extends Error {}

/** Acknowledges the deliveries the listing settled; the others come back after `nextWalkAt`. */
function finishListed(
  batch: BatchDecision,
  deliveries: readonly Delivery<FollowupQueueMessage>[],
  settled: ReadonlySet<string>,
  failure: { error: string; retryAfterSeconds?: number } | null,
  nextWalkAt: number,
): void {
  const now = batch.deps.now();
  const waiting = deliveries.filter((delivery) => !settled.has(delivery.event.id));
  for (const delivery of deliveries) if (settled.has(delivery.event.id)) batch.fates.set(delivery.message, ACK);
  if (failure) log("warn", "followup_list_failed", { error: failure.error, events: waiting.length });
  const delaySeconds = Math.max(secondsUntil(nextWalkAt, now), failure?.retryAfterSeconds ?? 0);
  sendBack(
    batch,
    waiting.map((delivery) => ({ delivery, delaySeconds })),
  );
}
