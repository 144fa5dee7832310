/** One attempt of a delivery: claim it, pace it by its destination's rate cap, POST it signed, record the outcome. */
import { describeError } from "../errors";
import { log } from "../lib/log";
import { ACK, type Fate, resend, retry } from "../queue/fate";
import {
  claimDeliveryAttempt,
  type DeliveryAttempt,
  markDelivered,
  markDeliveryFailed,
  postponeDelivery,
  recordFailedAttempt,
} from "../store/deliveries";
import { claimRateSlot, takeRateTicket } from "../store/destination-health";
import { type DestinationRow, syncDefaultStatements } from "../store/destinations";
import { afterFailure } from "./backoff";
import type { ForwardDeps } from "./deps";
import type { ForwardMessage } from "./message";
import { deliveryBody } from "./payload";
import { targetOf } from "./target";

/** A message may arrive this much before the attempt it was sent for is due (clocks differ). */
const DUE_SLACK_MS = 5_000;
/** Added to the timeout for how long a taken attempt holds the delivery. */
const LEASE_MARGIN_MS = 60_000;
/** How long a delivery waits for a replay of its event to settle before looking again. */
export const REPLAY_WAIT_MS = 60_000;
/** A rate-cap slot this close is waited for in the consumer; a later one is a resend with a delay. */
export const RATE_HORIZON_MS = 1_000;

/**
 * One attempt: take the delivery's attempt if it is pending, due and its destination active (a
 * copy of the message, one for an attempt already made, or one for a paused destination finds
 * nothing to take and is dropped: the delivery waits in D1), load the event, its order snapshot
 * and the destination, wait for a rate-cap slot, POST the signed body. A 2xx marks it
 * `delivered`. Any other answer records the attempt and, until the delivery's `retry_until`,
 * resends the message for the next attempt; past it the delivery ends `failed`. An event that is
 * `received` again (a replay reopened it) sends nothing: a forwarded body only ever carries a
 * final status (`waitForReplay`). When D1 fails, the message is retried once the attempt it may
 * have taken has lapsed.
 */
export async function attemptDelivery(deps: ForwardDeps, id: string): Promise<Fate<ForwardMessage>> {
  const leaseMs = deps.config.timeoutMs + LEASE_MARGIN_MS;
  const now = deps.now();
  try {
    const attempt = await claimDeliveryAttempt(
      deps.db,
      id,
      { dueBy: now + DUE_SLACK_MS, leaseUntil: now + leaseMs },
      syncDefaultStatements(deps.db, deps.config.destination?.url ?? null, now),
    );
    if (!attempt) return ACK;
    const { delivery, destination, event } = attempt;
    if (!event) {
      await markDeliveryFailed(deps.db, id, "the event is no longer stored (purged by retention)");
      log("warn", "forward_event_missing", { delivery_id: id, event_id: delivery.event_id });
      return ACK;
    }
    if (event.status === "received") return await waitForReplay(deps, id, delivery.retry_until);
    const target = targetOf(destination, deps.config, now);
    if (!target) {
      await postponeDelivery(deps.db, id, now);
      log("warn", "forward_destination_unusable", { delivery_id: id, destination_id: destination.id });
      return ACK;
    }
    const paced = await paceByRateCap(deps, destination, id);
    if (paced) return paced;
    const outcome = await deps.post(target, id, bodyOf(attempt));
    return await recordOutcome(deps, attempt, outcome);
  } catch (err) {
    log("error", "forward_write_failed", { delivery_id: id, error: describeError(err) });
    return retry(Math.ceil(leaseMs / 1000) + 1);
  }
}

/** The `raw` format sends the push body as stored; `envelope` the event summary and the order. */
function bodyOf({ delivery, destination, event, order, summary, payload }: DeliveryAttempt): string {
  if (destination.format === "raw" && payload !== null) return payload;
  if (!event) throw new Error("no event to build a body from");
  return deliveryBody({ createdAt: delivery.created_at, event, order, summary });
}

async function recordOutcome(
  deps: ForwardDeps,
  { delivery, event }: DeliveryAttempt,
  outcome: Awaited<ReturnType<ForwardDeps["post"]>>,
): Promise<Fate<ForwardMessage>> {
  const at = deps.now();
  const attempts = delivery.attempts + 1;
  const id = delivery.id;
  const eventId = event?.id ?? delivery.event_id;
  if (outcome.ok) {
    await markDelivered(deps.db, delivery, at, outcome.statusCode);
    log("info", "forward_delivered", { delivery_id: id, event_id: eventId, attempts });
    return ACK;
  }
  const next = afterFailure(attempts, at, delivery.retry_until, deps.random(), deps.config.backoffBaseSeconds);
  const nextAttemptAt = next.kind === "retry" ? next.nextAttemptAt : null;
  await recordFailedAttempt(deps.db, delivery, {
    at,
    statusCode: outcome.statusCode,
    error: outcome.error,
    nextAttemptAt,
  });
  if (next.kind === "fail") {
    log("warn", "forward_failed", { delivery_id: id, event_id: eventId, attempts, error: outcome.error });
    return ACK;
  }
  log("warn", "forward_retry", { delivery_id: id, attempts, error: outcome.error, delay: next.delaySeconds });
  return resend(next.delaySeconds, { deliveryId: id });
}

/**
 * A destination with `rate_per_minute` gets its attempts at least 60 000 / rate ms apart, across
 * every consumer: a slot within RATE_HORIZON_MS is claimed and waited for here (null: go on);
 * otherwise the delivery takes a place in line and comes back then, as a fresh message: waiting
 * for the cap is not an attempt, and counts none.
 */
async function paceByRateCap(
  deps: ForwardDeps,
  destination: DestinationRow,
  id: string,
): Promise<Fate<ForwardMessage> | null> {
  if (!destination.rate_per_minute) return null;
  const spacingMs = Math.ceil(60_000 / destination.rate_per_minute);
  const now = deps.now();
  const start = await claimRateSlot(deps.db, destination.id, now, spacingMs, RATE_HORIZON_MS);
  if (start !== null) {
    // Measured after the claim's round trip, so a slow D1 does not make the attempt late.
    const wait = start - deps.now();
    if (wait > 0) await deps.sleep(wait);
    return null;
  }
  const ticket = await takeRateTicket(deps.db, destination.id, now, spacingMs);
  await postponeDelivery(deps.db, id, ticket);
  return resend(Math.max(1, Math.floor((ticket - now) / 1000)), { deliveryId: id });
}

/**
 * The event is being replayed: look again in REPLAY_WAIT_MS (not past `retryUntil`), no attempt
 * counted, or end the delivery `failed` when its window is over.
 */
async function waitForReplay(deps: ForwardDeps, id: string, retryUntil: number): Promise<Fate<ForwardMessage>> {
  const now = deps.now();
  if (now >= retryUntil) {
    await markDeliveryFailed(deps.db, id, "the event was still being replayed when the delivery's retry window ended");
    log("warn", "forward_failed_replaying", { delivery_id: id });
    return ACK;
  }
  const nextAttemptAt = Math.min(now + REPLAY_WAIT_MS, retryUntil);
  await postponeDelivery(deps.db, id, nextAttemptAt);
  log("info", "forward_waits_for_replay", { delivery_id: id });
  return resend(Math.ceil((nextAttemptAt - now) / 1000), { deliveryId: id });
}
