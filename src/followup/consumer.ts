/**
 * The consumer of `omisell-followups`: carries out the plan of plan.ts for each batch.
 *
 * Load the events the messages name (with their attempts); acknowledge those with nothing to do;
 * mark the skips in one round trip; fetch each order once, with at most FOLLOWUP_PARALLELISM
 * calls in flight, through the rate limiter at the priority of its messages; store each snapshot
 * (never over a newer one) and mark the events `processed`. After a failed fetch: a permanent
 * failure, or the last try of FOLLOWUP_MAX_RETRIES, marks the events `failed`; a retryable one
 * records the attempt and retries the message with backoff; a throttled one (the limiter said
 * wait, or Omisell answered 429) records no attempt and comes back as a fresh message, so the
 * queue's own delivery count never runs out while Omisell is busy.
 */
import { type Config, readConfig } from "../config";
import { describeError } from "../errors";
import { enqueueDeliveries } from "../forward/enqueue";
import { log } from "../lib/log";
import { omisellAuth } from "../omisell/auth";
import { omisellConnection } from "../omisell/connection";
import type { ApiFailure } from "../omisell/failure";
import { fetchOrderDetail } from "../omisell/order-detail";
import { type FollowupEventState, getFollowupEventStates } from "../store/followup-attempts";
import {
  markEventSkippedStatement,
  markEventsFailed,
  markEventsProcessedStatement,
  markFollowupsRescheduled,
  recordFollowupRetry,
} from "../store/followup-state";
import { upsertSnapshotStatement } from "../store/resources";
import { backoffSeconds } from "./backoff";
import type { FollowupMessage } from "./message";
import { forEachWithLimit } from "./parallel";
import { type Delivery, type OrderGroup, planBatch, planFailure } from "./plan";

type QueueMessage = Message<FollowupMessage>;

export async function consumeFollowups(batch: MessageBatch<FollowupMessage>, env: Env): Promise<void> {
  const config = readConfig(env);
  const ids = [...new Set(batch.messages.map((message) => message.body?.eventId).filter(isString))];
  let events: Map<string, FollowupEventState>;
  try {
    events = new Map((await getFollowupEventStates(env.DB, ids)).map((event) => [event.id, event]));
  } catch (err) {
    // D1 unreachable: nothing was decided, so every message comes back later.
    log("error", "followup_load_failed", { error: describeError(err) });
    retryWithBackoff(batch.messages, config);
    return;
  }

  const plan = planBatch(batch.messages, events);
  for (const message of plan.acks) {
    if (!events.has(message.body?.eventId ?? "")) {
      log("warn", "followup_event_missing", { event_id: message.body?.eventId ?? null });
    }
    message.ack();
  }
  // Every skip of the batch in one round trip, then the fetches.
  if (plan.skips.length > 0) {
    const now = Date.now();
    await settle(
      plan.skips.map((skip) => skip.message),
      () => env.DB.batch(plan.skips.map((skip) => markEventSkippedStatement(env.DB, skip.eventId, skip.reason, now))),
      config,
    );
    await enqueueDeliveries(
      env,
      plan.skips.map((skip) => skip.eventId),
    ); // TEMP forwarding hook
  }
  await forEachWithLimit(plan.groups, config.FOLLOWUP_PARALLELISM, (group) => followUpOrder(env, config, group));
}

async function followUpOrder(env: Env, config: Config, group: OrderGroup<QueueMessage>): Promise<void> {
  const messages = group.deliveries.map((delivery) => delivery.message);
  const eventIds = eventIdsOf(group.deliveries);
  const startedAt = Date.now();
  const result = await fetchOrderDetail(
    omisellConnection(env, config, group.sellerId, group.priority),
    omisellAuth(env, config, group.sellerId),
    group.orderNumber,
  );

  if (!result.ok) {
    await handleFailure(env, config, group.orderNumber, group.deliveries, result.failure);
    return;
  }
  const order = result.data;
  await settle(
    messages,
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
        markEventsProcessedStatement(env.DB, eventIds, Date.now()),
      ]);
    },
    config,
  );
  await enqueueDeliveries(env, eventIds); // TEMP forwarding hook
  log("info", "followup_processed", { order: group.orderNumber, events: eventIds.length });
}

async function handleFailure(
  env: Env,
  config: Config,
  orderNumber: string,
  deliveries: Delivery<QueueMessage>[],
  failure: ApiFailure,
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
      plan.fail.map((delivery) => delivery.message),
      () => markEventsFailed(env.DB, ids, failure.error),
      config,
    );
    await enqueueDeliveries(env, ids); // TEMP forwarding hook
  }

  if (plan.retry.length > 0) {
    const ids = eventIdsOf(plan.retry.map((retry) => retry.delivery));
    const delays = plan.retry.map((retry) => retry.delaySeconds);
    log("warn", "followup_retry", { order: orderNumber, events: ids, error: failure.error, delays });
    try {
      // The latest of the retries: the sweeper must not think any of them overdue before then.
      await recordFollowupRetry(env.DB, ids, failure.error, Date.now() + Math.max(...delays) * 1000);
    } catch (err) {
      log("error", "followup_record_failed", { events: ids, error: describeError(err) });
    }
    for (const retry of plan.retry) retry.delivery.message.retry({ delaySeconds: retry.delaySeconds });
  }

  if (plan.wait.length > 0) await waitForBudget(env, orderNumber, plan.wait, failure);
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
  try {
    await env.FOLLOWUPS.sendBatch(
      waits.map((wait) => ({
        body: wait.delivery.message.body,
        contentType: "json" as const,
        delaySeconds: wait.delaySeconds,
      })),
    );
    for (const wait of waits) wait.delivery.message.ack();
  } catch (err) {
    log("error", "followup_requeue_failed", { events: ids, error: describeError(err) });
    for (const wait of waits) wait.delivery.message.retry({ delaySeconds: wait.delaySeconds });
  }
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

/** Runs the D1 writes that decide the messages' fate: ack when they land, retry when they do not. */
async function settle(messages: QueueMessage[], write: () => Promise<unknown>, config: Config) {
  try {
    await write();
    for (const message of messages) message.ack();
  } catch (err) {
    log("error", "followup_write_failed", { error: describeError(err) });
    retryWithBackoff(messages, config);
  }
}

function isString(value: unknown): value is string {
  return typeof value === "string" && value.length > 0;
}
