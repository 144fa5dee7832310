/**
 * The consumers of `omisell-followups` and of its dead-letter queue.
 *
 * For each batch: load the events the messages name; acknowledge those no longer `received`
 * (already done: a repeat, or a late copy); skip those with nothing to fetch; group the rest by
 * order so that several events of one order cost one fetch; fetch the orders with at most
 * FOLLOWUP_PARALLELISM calls in flight; store each snapshot (never over a newer one) and mark
 * the events `processed`. A retryable failure records the attempt and retries the message with
 * backoff; a permanent one marks the events `failed` at once. Messages the queue gives up on go
 * to the dead-letter queue, whose consumer marks the event `failed`.
 */
import { type Config, readConfig } from "../config";
import { describeError } from "../errors";
import { log } from "../lib/log";
import {
  type FollowupEvent,
  getFollowupEvents,
  markEventDeadLettered,
  markEventSkippedStatement,
  markEventsFailed,
  markEventsProcessedStatement,
  recordFollowupRetry,
} from "../store/followup-state";
import { upsertSnapshotStatement } from "../store/resources";
import type { FollowupMessage } from "./message";
import { omisellAuth } from "./omisell-auth";
import { fetchOrderDetail } from "./omisell-client";
import { forEachWithLimit } from "./parallel";
import { type ApiFailure, backoffSeconds } from "./retry-policy";
import { followupTarget } from "./target";

type Delivery = { message: Message<FollowupMessage>; event: FollowupEvent };

/** The events of one order in this batch, fetched once. */
type OrderGroup = { orderNumber: string; deliveries: Delivery[] };

export async function consumeFollowups(batch: MessageBatch<FollowupMessage>, env: Env): Promise<void> {
  const config = readConfig(env);
  const ids = [...new Set(batch.messages.map((message) => message.body?.eventId).filter(isString))];
  let events: Map<string, FollowupEvent>;
  try {
    events = new Map((await getFollowupEvents(env.DB, ids)).map((event) => [event.id, event]));
  } catch (err) {
    // D1 unreachable: nothing was decided, so every message comes back later.
    log("error", "followup_load_failed", { error: describeError(err) });
    retryWithBackoff(batch.messages, config);
    return;
  }

  const groups = new Map<string, OrderGroup>();
  const skips: { message: Message<FollowupMessage>; statement: D1PreparedStatement }[] = [];
  for (const message of batch.messages) {
    const event = message.body?.eventId ? events.get(message.body.eventId) : undefined;
    if (!event) {
      // Purged by retention, or a malformed message: there is nothing left to follow up.
      log("warn", "followup_event_missing", { event_id: message.body?.eventId ?? null });
      message.ack();
      continue;
    }
    if (event.status !== "received") {
      message.ack();
      continue;
    }
    const target = followupTarget(event);
    if (target.kind === "skip") {
      skips.push({ message, statement: markEventSkippedStatement(env.DB, event.id, target.reason, Date.now()) });
      continue;
    }
    const group = groups.get(target.orderNumber) ?? { orderNumber: target.orderNumber, deliveries: [] };
    group.deliveries.push({ message, event });
    groups.set(target.orderNumber, group);
  }

  // Every skip of the batch in one round trip, then the fetches.
  if (skips.length > 0) {
    await settle(
      skips.map((skip) => skip.message),
      () => env.DB.batch(skips.map((skip) => skip.statement)),
      config,
    );
  }
  await forEachWithLimit([...groups.values()], config.FOLLOWUP_PARALLELISM, (group) =>
    followUpOrder(env, config, group),
  );
}

async function followUpOrder(env: Env, config: Config, group: OrderGroup): Promise<void> {
  const messages = group.deliveries.map((delivery) => delivery.message);
  const eventIds = [...new Set(group.deliveries.map((delivery) => delivery.event.id))];
  const sellerId = group.deliveries.find((delivery) => delivery.event.seller_id)?.event.seller_id ?? null;
  const startedAt = Date.now();
  const result = await fetchOrderDetail(
    { base: config.OMISELL_API_BASE, timeoutMs: config.OMISELL_API_TIMEOUT_MS },
    omisellAuth(env, config, sellerId),
    group.orderNumber,
  );

  if (result.ok) {
    const order = result.data;
    await settle(
      messages,
      async () => {
        // One round trip, one transaction: the snapshot and the events it settles land together.
        await env.DB.batch([
          upsertSnapshotStatement(env.DB, {
            type: "order",
            id: group.orderNumber,
            seller_id: order.seller_id == null ? sellerId : String(order.seller_id),
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
    log("info", "followup_processed", { order: group.orderNumber, events: eventIds.length });
    return;
  }

  await handleFailure(env, config, group.orderNumber, group.deliveries, result.failure);
}

async function handleFailure(
  env: Env,
  config: Config,
  orderNumber: string,
  deliveries: Delivery[],
  failure: ApiFailure,
): Promise<void> {
  // Each message keeps its own count and backoff: a new push about this order does not inherit
  // the backoff, or the exhaustion, of an older message about it. FOLLOWUP_MAX_RETRIES is a
  // safety net for a queue configured with more retries than intended.
  const ending =
    failure.kind === "permanent"
      ? deliveries
      : deliveries.filter((delivery) => delivery.message.attempts > config.FOLLOWUP_MAX_RETRIES + 1);
  const retrying = deliveries.filter((delivery) => !ending.includes(delivery));

  if (ending.length > 0) {
    const ids = eventIdsOf(ending);
    log("warn", "followup_failed", { order: orderNumber, events: ids, error: failure.error, kind: failure.kind });
    await settle(
      ending.map((delivery) => delivery.message),
      () => markEventsFailed(env.DB, ids, failure.error),
      config,
    );
  }
  if (retrying.length === 0) return;

  const delays = retrying.map((delivery) => retryDelay(config, delivery.message.attempts, failure.retryAfterSeconds));
  const ids = eventIdsOf(retrying);
  log("warn", "followup_retry", { order: orderNumber, events: ids, error: failure.error, delays });
  try {
    // The latest of the retries: the sweeper must not think any of them overdue before then.
    await recordFollowupRetry(env.DB, ids, failure.error, Date.now() + Math.max(...delays) * 1000);
  } catch (err) {
    log("error", "followup_record_failed", { events: ids, error: describeError(err) });
  }
  retrying.forEach((delivery, i) => {
    delivery.message.retry({ delaySeconds: delays[i] });
  });
}

function eventIdsOf(deliveries: Delivery[]): string[] {
  return [...new Set(deliveries.map((delivery) => delivery.event.id))];
}

/** Every message back to the queue, each after its own backoff. */
function retryWithBackoff(messages: readonly Message<FollowupMessage>[], config: Config): void {
  for (const message of messages) message.retry({ delaySeconds: retryDelay(config, message.attempts) });
}

/** Runs the D1 writes that decide the messages' fate: ack when they land, retry when they do not. */
async function settle(messages: Message<FollowupMessage>[], write: () => Promise<unknown>, config: Config) {
  try {
    await write();
    for (const message of messages) message.ack();
  } catch (err) {
    log("error", "followup_write_failed", { error: describeError(err) });
    retryWithBackoff(messages, config);
  }
}

function retryDelay(config: Config, attempt: number, retryAfterSeconds?: number): number {
  return backoffSeconds(
    attempt,
    { baseSeconds: config.FOLLOWUP_BACKOFF_BASE_SECONDS, maxSeconds: config.FOLLOWUP_BACKOFF_MAX_SECONDS },
    Math.random(),
    retryAfterSeconds,
  );
}

function isString(value: unknown): value is string {
  return typeof value === "string" && value.length > 0;
}

/** Dead letters: the queue gave up after its retries. The event ends `failed`, never silently. */
export async function consumeDeadLetters(batch: MessageBatch<FollowupMessage>, env: Env): Promise<void> {
  for (const message of batch.messages) {
    const eventId = message.body?.eventId;
    if (!isString(eventId)) {
      log("warn", "dead_letter_malformed", { attempts: message.attempts });
      message.ack();
      continue;
    }
    try {
      const marked = await markEventDeadLettered(
        env.DB,
        eventId,
        "the queue gave up on this follow-up after its retries (no error was recorded)",
      );
      if (marked) log("warn", "followup_dead_lettered", { event_id: eventId });
      message.ack();
    } catch (err) {
      log("error", "dead_letter_write_failed", { event_id: eventId, error: describeError(err) });
      message.retry();
    }
  }
}
