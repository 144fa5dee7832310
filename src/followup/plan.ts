/**
 * The follow-up consumer's decisions, without doing any of them: which messages to acknowledge,
 * which events to skip, which orders to fetch (and at which priority), and after a failed fetch
 * which events fail, which retry after a backoff, and which wait for Omisell's budget. Pure, so
 * the rules are tested directly; consumer.ts carries them out.
 */
import type { Priority } from "../omisell/bucket";
import type { ApiFailure } from "../omisell/failure";
import type { FollowupEventState } from "../store/followup-attempts";
import { type BackoffPolicy, backoffSeconds, throttledDelaySeconds } from "./backoff";
import type { FollowupMessage, FollowupReason } from "./message";
import { followupTarget } from "./target";

/** The part of a queue message planning looks at. */
export type PlannedMessage = { body?: Partial<FollowupMessage> | null };

export type Delivery<M> = { message: M; event: FollowupEventState };

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
  skips: { message: M; eventId: string; reason: string }[];
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

export function planBatch<M extends PlannedMessage>(
  messages: readonly M[],
  events: ReadonlyMap<string, FollowupEventState>,
): BatchPlan<M> {
  const plan: BatchPlan<M> = { acks: [], skips: [], groups: [] };
  const groups = new Map<string, OrderGroup<M>>();
  for (const message of messages) {
    const eventId = message.body?.eventId;
    const event = typeof eventId === "string" ? events.get(eventId) : undefined;
    // Gone (purged by retention, or a malformed message), or already settled (a repeat, a late copy).
    if (event?.status !== "received") {
      plan.acks.push(message);
      continue;
    }
    const target = followupTarget(event);
    if (target.kind === "skip") {
      plan.skips.push({ message, eventId: event.id, reason: target.reason });
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
  plan.groups = [...groups.values()];
  return plan;
}

export type FailurePlan<M> = {
  /** Out of tries, or a permanent failure: `failed` now, with the error. */
  fail: Delivery<M>[];
  /** A retryable failure with tries left: recorded as an attempt, back after `delaySeconds`. */
  retry: { delivery: Delivery<M>; delaySeconds: number }[];
  /** Omisell was busy: no attempt recorded, back after `delaySeconds` as a fresh message. */
  wait: { delivery: Delivery<M>; delaySeconds: number }[];
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
