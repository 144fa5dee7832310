/**
 * The consumer of `omisell-followups`: decides each message's fate by the plan of plan.ts,
 * fetching and writing as it goes.
 */
import { describeError } from "../errors";
import { log } from "../lib/log";
import { ACK } from "../queue/fate";
import { releaseOrderFetches, releaseOrderFetchStatement } from "../store/fetch-claims";
import { type FollowupBatchState, loadFollowupBatch } from "../store/followup-batch";
import { markEventSkippedStatement, markEventsProcessedStatement } from "../store/followup-state";
import { upsertSnapshotStatement } from "../store/resources";
import { splitForAdaptive } from "./adaptive";
import {
  attemptOf,
  type BatchDecision,
  type DecideBatch,
  eventIdsOf,
  followupConsumer,
  retryWithBackoff,
  sendBack,
  settle,
} from "./decision";
import { type BudgetQueue, budgetQueue, handleFailure } from "./failure";
import { CLAIMED_WAIT_SECONDS, claimFetches } from "./fetch-claims";
import { settleFromList } from "./list-settle";
import { eventIdOf, type FollowupQueueMessage } from "./message";
import { forEachWithLimit } from "./parallel";
import { type OrderGroup, planBatch } from "./plan";

/**
 * Loads the events the messages name (with their attempts and generation) and their orders'
 * state; acknowledges those with nothing to do; marks the skips, and the events a stored snapshot
 * already covers, in one round trip; sends the messages of orders that are not quiet yet back
 * with the remaining delay (no attempt used); with FOLLOWUP_DETAIL=adaptive, settles from the order
 * list the orders the choice gives it (adaptive.ts, list-settle.ts); claims the other orders (one
 * that another batch is fetching waits for its snapshot) and fetches each once, with at most
 * FOLLOWUP_PARALLELISM calls in flight, through the rate limiter at the priority of its messages;
 * stores each snapshot (never over a newer one) with its events `processed` (after a failed fetch:
 * failure.ts). Every D1 write that settles events marks the batch, which then nudges the
 * destinations' walk (`settle`).
 */
export const decideFollowups: DecideBatch = async (messages, batch) => {
  const { deps, config, fates } = batch;
  const { quietMs } = config;
  const now = deps.now();
  let loaded: FollowupBatchState;
  try {
    // The newest event of each order matters only within two quiet windows of now.
    loaded = await loadFollowupBatch(deps.db, [...new Set(messages.flatMap(eventIdOf))], now - 2 * quietMs);
  } catch (err) {
    // D1 unreachable: nothing was decided, so every message comes back later.
    log("error", "followup_load_failed", { error: describeError(err) });
    retryWithBackoff(batch, messages);
    return;
  }
  const events = new Map(loaded.events.map((event) => [event.id, event]));
  const plan = planBatch(messages, events, { now, quietMs, orders: loaded.orders });
  for (const message of plan.acks) {
    const [eventId = null] = eventIdOf(message);
    if (eventId === null || !events.has(eventId)) log("warn", "followup_event_missing", { event_id: eventId });
    fates.set(message, ACK);
  }
  if (plan.skips.length + plan.covered.length > 0) {
    const skipped = plan.skips.map((skip) => ({ message: skip.message, event: skip.event }));
    await settle(batch, [...skipped, ...plan.covered], () =>
      deps.db.batch([
        ...plan.skips.map((skip) => markEventSkippedStatement(deps.db, attemptOf(skip), skip.reason, now)),
        ...(plan.covered.length > 0
          ? [markEventsProcessedStatement(deps.db, plan.covered.map(attemptOf), now, { fetched: false })]
          : []),
      ]),
    );
    if (plan.covered.length > 0) log("info", "followup_coalesced", { events: eventIdsOf(plan.covered) });
  }
  const split = await splitForAdaptive(batch, plan.groups, plan.quietGroups, loaded.orders, now);
  const quietWaits = split.quiet.flatMap(({ group, delaySeconds }) =>
    group.deliveries.map((delivery) => ({ delivery, delaySeconds })),
  );
  if (quietWaits.length > 0) {
    const delays = quietWaits.map((wait) => wait.delaySeconds);
    log("info", "followup_order_busy", { events: eventIdsOf(quietWaits.map((wait) => wait.delivery)), delays });
    sendBack(batch, quietWaits);
  }
  const perSeller = deps.config.omisell.authMode === "partner";
  for (const [sellerId, groups] of byListing(split.byList, perSeller)) {
    await settleFromList(batch, sellerId, groups, now);
  }
  if (split.byDetail.length > 0) await fetchOrders(batch, split.byDetail, now);
};

/**
 * The orders each listing covers: in `partner` mode each seller's, listed with its own Seller-ID
 * and bucket; otherwise the credential lists every order of the account at once.
 */
function byListing(groups: readonly OrderGroup<FollowupQueueMessage>[], perSeller: boolean) {
  const listings = new Map<string | null, OrderGroup<FollowupQueueMessage>[]>();
  for (const group of groups) {
    const key = perSeller ? group.sellerId : null;
    listings.set(key, [...(listings.get(key) ?? []), group]);
  }
  return listings;
}

/** Consumes a batch of `omisell-followups` (`decideFollowups`, carried out by the dispatcher). */
export const consumeFollowups = followupConsumer(decideFollowups);

/** Claims the orders, fetches the claimed ones, and releases the claims. */
async function fetchOrders(batch: BatchDecision, groups: OrderGroup<FollowupQueueMessage>[], now: number) {
  const { deps, config } = batch;
  const { omisell } = deps.config;
  const token = crypto.randomUUID();
  const lease = { parallelism: config.parallelism, callTimeoutMs: omisell.timeoutMs };
  const { claimed, elsewhere } = await claimFetches(deps.db, lease, groups, token, now);
  if (elsewhere.length > 0) {
    log("info", "followup_fetch_elsewhere", { orders: elsewhere.map((group) => group.orderNumber) });
    // Back shortly (a wait, not an attempt), to find the other batch's snapshot.
    const waits = elsewhere.flatMap((group) =>
      group.deliveries.map((delivery) => ({ delivery, delaySeconds: CLAIMED_WAIT_SECONDS })),
    );
    sendBack(batch, waits);
  }
  const queueForBudget = budgetQueue(omisell.rateLimit);
  try {
    await forEachWithLimit(claimed, config.parallelism, (group) => followUpOrder(batch, group, queueForBudget, token));
  } finally {
    // Each order's claim went with its own writes; this clears what a failed write left, and lapsed claims.
    try {
      await releaseOrderFetches(deps.db, token, deps.now());
    } catch (err) {
      // The claims lapse on their own within a lease.
      log("error", "followup_release_failed", { error: describeError(err) });
    }
  }
}

/**
 * One fetch of an order; its snapshot, the events it settles and the release of the order's claim
 * land in one transaction. After a failed fetch the claim is released on its own: either way the
 * order is free as soon as its own fetch is over, not when the whole batch is.
 */
async function followUpOrder(
  batch: BatchDecision,
  group: OrderGroup<FollowupQueueMessage>,
  queueForBudget: BudgetQueue,
  token: string,
): Promise<void> {
  const { deps } = batch;
  const eventIds = eventIdsOf(group.deliveries);
  const startedAt = deps.now();
  const result = await deps.fetchOrder(group);
  if (!result.ok) {
    await handleFailure(batch, group, result.reason, queueForBudget);
    await releaseOrderFetchStatement(deps.db, group.orderNumber, token)
      .run()
      .catch((err: unknown) => log("error", "followup_release_failed", { error: describeError(err) }));
    return;
  }
  const order = result.value;
  await settle(batch, group.deliveries, () =>
    deps.db.batch([
      upsertSnapshotStatement(deps.db, {
        type: "order",
        id: group.orderNumber,
        seller_id: order.seller_id == null ? group.sellerId : String(order.seller_id),
        status_name: order.status_name ?? null,
        data: JSON.stringify(order),
        fetched_at: startedAt,
        last_event_id: eventIds.toSorted().at(-1) ?? null,
      }),
      markEventsProcessedStatement(deps.db, group.deliveries.map(attemptOf), deps.now()),
      releaseOrderFetchStatement(deps.db, group.orderNumber, token),
    ]),
  );
  log("info", "followup_processed", { order: group.orderNumber, events: eventIds.length });
}
