/**
 * The consumer of `omisell-followups`: carries out the plan of plan.ts for each batch.
 *
 * Load the events the messages name (with their attempts and generation) and their orders' state;
 * acknowledge those with nothing to do; mark the skips, and the events a stored snapshot already
 * covers, in one round trip; send the messages of orders that are not quiet yet back with the
 * remaining delay (no attempt used); claim the other orders (one that another batch is fetching
 * waits for its snapshot) and fetch each once, with at most FOLLOWUP_PARALLELISM
 * calls in flight, through the rate limiter at the priority of its messages; store each snapshot
 * (never over a newer one) and mark the events `processed`. After a failed fetch: a permanent
 * failure, or the last try of FOLLOWUP_MAX_RETRIES, marks the events `failed`; a retryable one
 * records the attempt and retries the message with backoff; a throttled one (the limiter said
 * wait, or Omisell answered 429) records no attempt and comes back as a fresh message, so the
 * queue's own delivery count never runs out while Omisell is busy. Every D1 write that settles
 * events hands their ids to forwarding (`settle`), in one place.
 */
import { type Config, readConfig } from "../config";
import { describeError } from "../errors";
import { enqueueDeliveries } from "../forward/enqueue";
import { log } from "../lib/log";
import { omisellAuth } from "../omisell/auth";
import { omisellConnection } from "../omisell/connection";
import type { ApiFailure } from "../omisell/failure";
import { fetchOrderDetail } from "../omisell/order-detail";
import { releaseOrderFetches } from "../store/fetch-claims";
import { type FollowupEventState, loadFollowupBatch, type OrderFollowupState } from "../store/followup-batch";
import {
  type AttemptRef,
  markEventSkippedStatement,
  markEventsFailed,
  markEventsProcessedStatement,
  markFollowupsRescheduled,
  recordFollowupRetry,
} from "../store/followup-state";
import { upsertSnapshotStatement } from "../store/resources";
import { backoffSeconds, MAX_QUEUE_DELAY_SECONDS } from "./backoff";
import { claimFetches } from "./fetch-claims";
import type { FollowupMessage } from "./message";
import { forEachWithLimit } from "./parallel";
import { type Delivery, generationOf, type OrderGroup, planBatch, planFailure } from "./plan";
import { sendBack } from "./send-back";

type QueueMessage = Message<FollowupMessage>;

export async function consumeFollowups(batch: MessageBatch<FollowupMessage>, env: Env): Promise<void> {
  const config = readConfig(env);
  const ids = [...new Set(batch.messages.map((message) => message.body?.eventId).filter(isString))];
  const now = Date.now();
  let events: Map<string, FollowupEventState>;
  let orders: Map<string, OrderFollowupState>;
  try {
    // The newest event of each order matters only within two quiet windows of now.
    const loaded = await loadFollowupBatch(env.DB, ids, now - 2 * config.FOLLOWUP_QUIET_MS);
    events = new Map(loaded.events.map((event) => [event.id, event]));
    orders = loaded.orders;
  } catch (err) {
    // D1 unreachable: nothing was decided, so every message comes back later.
    log("error", "followup_load_failed", { error: describeError(err) });
    retryWithBackoff(batch.messages, config);
    return;
  }

  const plan = planBatch(batch.messages, events, { now, quietMs: config.FOLLOWUP_QUIET_MS, orders });
  for (const message of plan.acks) {
    if (!events.has(message.body?.eventId ?? "")) {
      log("warn", "followup_event_missing", { event_id: message.body?.eventId ?? null });
    }
    message.ack();
  }
  // Every skip and every event a snapshot already covers, in one round trip; then the fetches.
  if (plan.skips.length + plan.covered.length > 0) {
    const skipped = plan.skips.map((skip) => ({ message: skip.message, event: skip.event }));
    await settle(
      env,
      [...skipped, ...plan.covered],
      () =>
        env.DB.batch([
          ...plan.skips.map((skip) => markEventSkippedStatement(env.DB, attemptOf(skip), skip.reason, now)),
          ...(plan.covered.length > 0
            ? [markEventsProcessedStatement(env.DB, plan.covered.map(attemptOf), now, { fetched: false })]
            : []),
        ]),
      config,
    );
    if (plan.covered.length > 0) log("info", "followup_coalesced", { events: eventIdsOf(plan.covered) });
  }
  if (plan.quietWaits.length > 0) {
    const delays = plan.quietWaits.map((wait) => wait.delaySeconds);
    log("info", "followup_order_busy", { events: eventIdsOf(plan.quietWaits.map((wait) => wait.delivery)), delays });
    await sendBack(env, plan.quietWaits);
  }
  if (plan.groups.length === 0) return;
  const token = crypto.randomUUID();
  const groups = await claimFetches(env, config, plan.groups, token, now);
  const queueForBudget = budgetQueue(config);
  await forEachWithLimit(groups, config.FOLLOWUP_PARALLELISM, (group) =>
    followUpOrder(env, config, group, queueForBudget),
  );
  try {
    await releaseOrderFetches(env.DB, token, Date.now());
  } catch (err) {
    // The claims lapse on their own within a lease.
    log("error", "followup_release_failed", { error: describeError(err) });
  }
}

/**
 * The throttled orders of one batch, in turn: the n-th waits n slots of the bucket longer than
 * the first, so they come back as the bucket frees up rather than all at once (a herd that would
 * mostly be throttled again).
 */
type BudgetQueue = () => number;

function budgetQueue(config: Config): BudgetQueue {
  const slotSeconds = config.OMISELL_RATE_LIMIT.windowMs / config.OMISELL_RATE_LIMIT.capacity / 1000;
  let position = 0;
  return () => Math.floor(position++ * slotSeconds);
}

async function followUpOrder(
  env: Env,
  config: Config,
  group: OrderGroup<QueueMessage>,
  queueForBudget: BudgetQueue,
): Promise<void> {
  const eventIds = eventIdsOf(group.deliveries);
  const startedAt = Date.now();
  const result = await fetchOrderDetail(
    omisellConnection(env, config, group.sellerId, group.priority),
    omisellAuth(env, config, group.sellerId),
    group.orderNumber,
  );

  if (!result.ok) {
    await handleFailure(env, config, group.orderNumber, group.deliveries, result.reason, queueForBudget);
    return;
  }
  const order = result.value;
  await settle(
    env,
    group.deliveries,
    async () => {
      // One round trip, one transaction: the snapshot and the events it settles land together.
      await env.DB.batch([
        upsertSnapshotStatement(env.DB, {
          type: "order",
          id: group.orderNumber,
          seller_id: order.seller_id == null ? group.sellerId : String(order.seller_id),
          status_name: order.status_name ?? null,
          data: JSON.stringify(order),
          fetched_at: startedAt,
          last_event_id: eventIds.toSorted().at(-1) ?? null,
        }),
        markEventsProcessedStatement(env.DB, group.deliveries.map(attemptOf), Date.now()),
      ]);
    },
    config,
  );
  log("info", "followup_processed", { order: group.orderNumber, events: eventIds.length });
}

async function handleFailure(
  env: Env,
  config: Config,
  orderNumber: string,
  deliveries: Delivery<QueueMessage>[],
  failure: ApiFailure,
  queueForBudget: BudgetQueue,
): Promise<void> {
  const plan = planFailure(
    failure,
    deliveries,
    {
      maxRetries: config.FOLLOWUP_MAX_RETRIES,
      backoff: { baseSeconds: config.FOLLOWUP_BACKOFF_BASE_SECONDS, maxSeconds: config.FOLLOWUP_BACKOFF_MAX_SECONDS },
    },
    Math.random,
  );

  if (plan.fail.length > 0) {
    const ids = eventIdsOf(plan.fail);
    log("warn", "followup_failed", { order: orderNumber, events: ids, error: failure.error, kind: failure.kind });
    await settle(
      env,
      plan.fail,
      () => markEventsFailed(env.DB, plan.fail.map(attemptOf), failure.error, Date.now()),
      config,
    );
  }

  if (plan.retry.length > 0) {
    const ids = eventIdsOf(plan.retry.map((retry) => retry.delivery));
    const delays = plan.retry.map((retry) => retry.delaySeconds);
    log("warn", "followup_retry", { order: orderNumber, events: ids, error: failure.error, delays });
    try {
      // The latest of the retries: the sweeper must not think any of them overdue before then.
      const attempts = plan.retry.map((retry) => attemptOf(retry.delivery));
      await recordFollowupRetry(env.DB, attempts, failure.error, Date.now() + Math.max(...delays) * 1000);
    } catch (err) {
      log("error", "followup_record_failed", { events: ids, error: describeError(err) });
    }
    for (const retry of plan.retry) retry.delivery.message.retry({ delaySeconds: retry.delaySeconds });
  }

  if (plan.wait.length > 0) {
    const later = queueForBudget();
    const waits = plan.wait.map((wait) => ({
      ...wait,
      delaySeconds: Math.min(MAX_QUEUE_DELAY_SECONDS, wait.delaySeconds + later),
    }));
    await waitForBudget(env, orderNumber, waits, failure);
  }
}

/**
 * Omisell is busy: no attempt is recorded. Each message is sent again as a fresh one with the
 * delay, then acknowledged, so its queue delivery count starts over and a long busy spell never
 * sends it to the dead-letter queue. Should the send fail, the message is retried instead.
 */
async function waitForBudget(
  env: Env,
  orderNumber: string,
  waits: { delivery: Delivery<QueueMessage>; delaySeconds: number }[],
  failure: ApiFailure,
): Promise<void> {
  const ids = eventIdsOf(waits.map((wait) => wait.delivery));
  const latest = Math.max(...waits.map((wait) => wait.delaySeconds));
  log("info", "followup_throttled", { order: orderNumber, events: ids, reason: failure.error, delay: latest });
  try {
    // Not overdue for the sweeper until the wait is over; attempts and last_error stay as they are.
    await markFollowupsRescheduled(env.DB, ids, Date.now() + latest * 1000);
  } catch (err) {
    log("error", "followup_record_failed", { events: ids, error: describeError(err) });
  }
  await sendBack(env, waits);
}

/** The follow-up a delivery is for: its event at the generation its message was sent for. */
function attemptOf(delivery: { message: QueueMessage; event: FollowupEventState }): AttemptRef {
  return { id: delivery.event.id, generation: generationOf(delivery.message) };
}

function eventIdsOf(deliveries: readonly Delivery<QueueMessage>[]): string[] {
  return [...new Set(deliveries.map((delivery) => delivery.event.id))];
}

/** Every message back to the queue, each after its own backoff. */
function retryWithBackoff(messages: readonly QueueMessage[], config: Config): void {
  for (const message of messages) {
    const delaySeconds = backoffSeconds(
      message.attempts,
      { baseSeconds: config.FOLLOWUP_BACKOFF_BASE_SECONDS, maxSeconds: config.FOLLOWUP_BACKOFF_MAX_SECONDS },
      Math.random(),
    );
    message.retry({ delaySeconds });
  }
}

/**
 * Runs the D1 write that settles these deliveries' events: ack when it lands and hand the events
 * to forwarding (which never throws, and skips any the guarded write left unsettled); retry the
 * messages when it does not land.
 */
async function settle(
  env: Env,
  deliveries: readonly Delivery<QueueMessage>[],
  write: () => Promise<unknown>,
  config: Config,
) {
  const messages = deliveries.map((delivery) => delivery.message);
  try {
    await write();
  } catch (err) {
    log("error", "followup_write_failed", { error: describeError(err) });
    retryWithBackoff(messages, config);
    return;
  }
  for (const message of messages) message.ack();
  await enqueueDeliveries(env, eventIdsOf(deliveries));
}

function isString(value: unknown): value is string {
  return typeof value === "string" && value.length > 0;
}
