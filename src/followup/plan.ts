/**
 * The follow-up consumer's decisions, pure (no I/O), so the rules are tested directly; consumer.ts
 * carries them out.
 */
import type { Priority } from "../omisell/bucket";
import type { ApiFailure } from "../omisell/failure";
import { type BackoffPolicy, backoffSeconds, throttledDelaySeconds } from "../queue/backoff";
import type { FollowupEventState, OrderFollowupState } from "../store/followup-batch";
import type { FollowupMessage, FollowupReason } from "./message";
import { followupTarget } from "./target";

/** The part of a queue message planning looks at. */
export type PlannedMessage = { body?: Partial<FollowupMessage> | null };

/** A message with the event it is for. */
export type Delivery<M> = { message: M; event: FollowupEventState };

/** A delivery that comes back after `delaySeconds`. */
export type Delayed<M> = { delivery: Delivery<M>; delaySeconds: number };

/** The moment of planning and the quiet window; orders without state have no snapshot and no other event. */
export type BatchContext = { now: number; quietMs: number; orders: ReadonlyMap<string, OrderFollowupState> };

/** The events of one order in this batch, fetched once. */
export type OrderGroup<M> = {
  orderNumber: string;
  sellerId: string | null;
  priority: Priority;
  deliveries: Delivery<M>[];
};

export type BatchPlan<M> = {
  /** Nothing to do: the event is gone, or no longer waiting for its follow-up. */
  acks: M[];
  /** Nothing to fetch: marked `skipped` with the reason. */
  skips: { message: M; event: FollowupEventState; reason: string }[];
  /** Settled by the stored snapshot (its fetch started after the event arrived): `processed`, no call. */
  covered: Delivery<M>[];
  /** The order is not quiet yet: back after `delaySeconds` as a fresh message, no attempt used. */
  quietWaits: Delayed<M>[];
  /** The same, by order: what the adaptive follow-up may settle from the list without waiting. */
  quietGroups: { group: OrderGroup<M>; delaySeconds: number }[];
  /** One fetch per order. */
  groups: OrderGroup<M>[];
};

const PRIORITY_OF_REASON: Record<FollowupReason, Priority> = {
  push: "push",
  sweep: "push",
  reconcile: "reconcile",
  replay: "replay",
};
const PRIORITY_ORDER: Priority[] = ["push", "reconcile", "replay"];

export function priorityOf(reason: unknown): Priority {
  return typeof reason === "string" && reason in PRIORITY_OF_REASON
    ? PRIORITY_OF_REASON[reason as FollowupReason]
    : "push";
}

/** The generation a message was sent for; messages from before generations existed are the first. */
export function generationOf(message: PlannedMessage): number {
  const generation = message.body?.generation;
  return typeof generation === "number" && Number.isInteger(generation) && generation >= 0 ? generation : 0;
}

const NO_CONTEXT: BatchContext = { now: 0, quietMs: 0, orders: new Map() };

/**
 * What to do with each message of a batch: acknowledge it, skip its event, settle it by the
 * stored snapshot, let its order wait for a quiet moment, or fetch its order (once per order, at
 * the most urgent priority of its messages). Fetch coalescing, Omisell's budget being the scarce
 * thing:
 * - A snapshot whose fetch started at or after an event was received (or, for a replayed event,
 *   reopened) already shows that event's change: the event is settled (`processed`) without a call.
 * - Omisell pushes one order in bursts (order.created, shipment.created, a status change within
 *   seconds). An order is fetched once it has been quiet for the quiet window (no event received
 *   for it in that time), or once its oldest waiting event has waited two windows (a busy order
 *   is not starved), and never sooner than one window after its previous fetch. Until then its
 *   messages come back after the remaining time, like a throttled message: no attempt is used.
 */
export function planBatch<M extends PlannedMessage>(
  messages: readonly M[],
  events: ReadonlyMap<string, FollowupEventState>,
  context: BatchContext = NO_CONTEXT,
): BatchPlan<M> {
  const plan: BatchPlan<M> = { acks: [], skips: [], covered: [], quietWaits: [], quietGroups: [], groups: [] };
  const groups = new Map<string, OrderGroup<M>>();
  for (const message of messages) {
    const eventId = message.body?.eventId;
    const event = typeof eventId === "string" ? events.get(eventId) : undefined;
    // Gone (purged by retention, or a malformed message), already settled (a repeat, a late copy),
    // or sent for an earlier follow-up of an event a replay has reopened since.
    if (event?.status !== "received" || generationOf(message) !== event.generation) {
      plan.acks.push(message);
      continue;
    }
    const target = followupTarget(event);
    if (target.kind === "skip") {
      plan.skips.push({ message, event, reason: target.reason });
      continue;
    }
    const fetchedAt = context.orders.get(target.orderNumber)?.fetchedAt ?? null;
    // A replay asks for the order anew: only a fetch that started after the reopen settles it.
    if (fetchedAt !== null && fetchedAt >= Math.max(event.received_at, event.reopened_at ?? 0)) {
      plan.covered.push({ message, event });
      continue;
    }
    const priority = priorityOf(message.body?.reason);
    const group = groups.get(target.orderNumber) ?? {
      orderNumber: target.orderNumber,
      sellerId: null,
      priority,
      deliveries: [],
    };
    group.deliveries.push({ message, event });
    group.sellerId ??= event.seller_id;
    // One fetch serves every event of the order: it goes at the most urgent of their priorities.
    if (PRIORITY_ORDER.indexOf(priority) < PRIORITY_ORDER.indexOf(group.priority)) group.priority = priority;
    groups.set(target.orderNumber, group);
  }
  for (const group of groups.values()) {
    const dueAt = fetchDueAt(group.deliveries, context.orders.get(group.orderNumber), context.quietMs);
    if (dueAt <= context.now) {
      plan.groups.push(group);
      continue;
    }
    const delaySeconds = Math.max(1, Math.ceil((dueAt - context.now) / 1000));
    plan.quietGroups.push({ group, delaySeconds });
    for (const delivery of group.deliveries) plan.quietWaits.push({ delivery, delaySeconds });
  }
  return plan;
}

/**
 * When an order with these waiting events may be fetched: once quiet for `quietMs` after its
 * newest event, or once the oldest waiting event has waited two windows, whichever comes first;
 * never sooner than one window after the fetch of the stored snapshot.
 */
export function fetchDueAt(
  deliveries: readonly Delivery<unknown>[],
  order: OrderFollowupState | undefined,
  quietMs: number,
): number {
  if (quietMs <= 0 || deliveries.length === 0) return Number.NEGATIVE_INFINITY;
  const received = deliveries.map((delivery) => delivery.event.received_at);
  const newest = Math.max(...received, order?.lastReceivedAt ?? Number.NEGATIVE_INFINITY);
  const oldest = Math.min(...received);
  const ready = Math.min(newest + quietMs, oldest + 2 * quietMs);
  return order?.fetchedAt == null ? ready : Math.max(ready, order.fetchedAt + quietMs);
}

export type FailurePlan<M> = {
  /** Out of tries, or a permanent failure: `failed` now, with the error. */
  fail: Delivery<M>[];
  /** A retryable failure with tries left: recorded as an attempt, back after `delaySeconds`. */
  retry: Delayed<M>[];
  /** Omisell was busy: no attempt recorded, back after `delaySeconds` as a fresh message. */
  wait: Delayed<M>[];
};

export type RetryRules = { maxRetries: number; backoff: BackoffPolicy };

/**
 * The tries a follow-up has made so far: the event's real attempts since the follow-up began.
 * Never the queue's delivery count, which also counts deliveries that waited for budget.
 */
export function triesMade(delivery: Delivery<PlannedMessage>): number {
  const before = delivery.message.body?.attemptsBefore;
  const base = typeof before === "number" && before > 0 ? before : 0;
  return Math.max(0, delivery.event.attempts - base);
}

/**
 * After a failed fetch, for each of its deliveries: fail (a permanent failure, or the last try),
 * retry after a backoff (a retryable failure), or wait for Omisell's budget (throttled: no
 * attempt is used, so a busy Omisell never fails an event).
 */
export function planFailure<M extends PlannedMessage>(
  failure: ApiFailure,
  deliveries: readonly Delivery<M>[],
  rules: RetryRules,
  random: () => number,
): FailurePlan<M> {
  const plan: FailurePlan<M> = { fail: [], retry: [], wait: [] };
  for (const delivery of deliveries) {
    if (failure.kind === "throttled") {
      plan.wait.push({ delivery, delaySeconds: throttledDelaySeconds(failure.retryAfterSeconds, random()) });
      continue;
    }
    // The try that just failed is number triesMade + 1; the first try plus maxRetries retries in all.
    const attempt = triesMade(delivery) + 1;
    if (failure.kind === "permanent" || attempt > rules.maxRetries) {
      plan.fail.push(delivery);
      continue;
    }
    plan.retry.push({
      delivery,
      delaySeconds: backoffSeconds(attempt, rules.backoff, random(), failure.retryAfterSeconds),
    });
  }
  return plan;
}
