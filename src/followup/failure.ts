/** What a failed fetch of an order does to its events: fail, retry, or wait for Omisell's budget. */
import type { OmisellConfig } from "../config";
import { describeError } from "../errors";
import { log } from "../lib/log";
import type { ApiFailure } from "../omisell/failure";
import { MAX_QUEUE_DELAY_SECONDS } from "../queue/backoff";
import { retry } from "../queue/fate";
import { markEventsFailed, markFollowupsRescheduled, recordFollowupRetry } from "../store/followup-state";
import { attemptOf, type BatchDecision, eventIdsOf, sendBack, settle } from "./decision";
import type { FollowupQueueMessage } from "./message";
import { type Delayed, type OrderGroup, planFailure } from "./plan";

/**
 * The throttled orders of one batch, in turn: the n-th waits n slots of the bucket longer than
 * the first, so they come back as the bucket frees up rather than all at once (a herd that would
 * mostly be throttled again). Returns the extra seconds of the next order in line.
 */
export type BudgetQueue = () => number;

export function budgetQueue(rateLimit: OmisellConfig["rateLimit"]): BudgetQueue {
  const slotSeconds = rateLimit.windowMs / rateLimit.capacity / 1000;
  let position = 0;
  return () => Math.floor(position++ * slotSeconds);
}

/**
 * After a failed fetch (planFailure decides): a permanent failure, or the last try of
 * FOLLOWUP_MAX_RETRIES, marks the events `failed`; a retryable one records the attempt and
 * retries the message with backoff; a throttled one (the limiter said wait, or Omisell answered
 * 429) records no attempt and comes back as a fresh message, so the queue's own delivery count
 * never runs out while Omisell is busy.
 */
export async function handleFailure(
  batch: BatchDecision,
  group: OrderGroup<FollowupQueueMessage>,
  failure: ApiFailure,
  queueForBudget: BudgetQueue,
): Promise<void> {
  const { deps, config } = batch;
  const order = group.orderNumber;
  const plan = planFailure(failure, group.deliveries, config, deps.random);

  if (plan.fail.length > 0) {
    const events = eventIdsOf(plan.fail);
    log("warn", "followup_failed", { order, events, error: failure.error, kind: failure.kind });
    await settle(batch, plan.fail, () =>
      markEventsFailed(deps.db, plan.fail.map(attemptOf), failure.error, deps.now()),
    );
  }

  if (plan.retry.length > 0) {
    const events = eventIdsOf(plan.retry.map((planned) => planned.delivery));
    const delays = plan.retry.map((planned) => planned.delaySeconds);
    log("warn", "followup_retry", { order, events, error: failure.error, delays });
    try {
      // The latest of the retries: the sweeper must not think any of them overdue before then.
      const attempts = plan.retry.map((planned) => attemptOf(planned.delivery));
      await recordFollowupRetry(deps.db, attempts, failure.error, deps.now() + Math.max(...delays) * 1000);
    } catch (err) {
      log("error", "followup_record_failed", { events, error: describeError(err) });
    }
    for (const planned of plan.retry) batch.fates.set(planned.delivery.message, retry(planned.delaySeconds));
  }

  if (plan.wait.length > 0) {
    const later = queueForBudget();
    const waits = plan.wait.map((wait) => ({
      ...wait,
      delaySeconds: Math.min(MAX_QUEUE_DELAY_SECONDS, wait.delaySeconds + later),
    }));
    await waitForBudget(batch, order, waits, failure);
  }
}

/** Omisell is busy: no attempt is recorded, and the messages come back as fresh ones after the wait. */
async function waitForBudget(
  batch: BatchDecision,
  order: string,
  waits: Delayed<FollowupQueueMessage>[],
  failure: ApiFailure,
): Promise<void> {
  const events = eventIdsOf(waits.map((wait) => wait.delivery));
  const latest = Math.max(...waits.map((wait) => wait.delaySeconds));
  log("info", "followup_throttled", { order, events, reason: failure.error, delay: latest });
  try {
    // Not overdue for the sweeper until the wait is over; attempts and last_error stay as they are.
    await markFollowupsRescheduled(batch.deps.db, events, batch.deps.now() + latest * 1000);
  } catch (err) {
    log("error", "followup_record_failed", { events, error: describeError(err) });
  }
  sendBack(batch, waits);
}
