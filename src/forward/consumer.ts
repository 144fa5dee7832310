/** The consumer of `omisell-forwards`: one attempt of a delivery per message. */
import type { ForwardDestination } from "../config";
import { describeError } from "../errors";
import { log } from "../lib/log";
import { dispatchBatch } from "../queue/dispatch";
import { ACK, type Fate, type Fates, resend, retry } from "../queue/fate";
import {
  claimDeliveryAttempt,
  markDelivered,
  markDeliveryFailed,
  postponeDelivery,
  recordFailedAttempt,
} from "../store/deliveries";
import { afterFailure } from "./backoff";
import type { ForwardDeps } from "./deps";
import { deliveryIdOf, type ForwardMessage } from "./message";
import { deliveryBody } from "./payload";

/** A message may arrive this much before the attempt it was sent for is due (clocks differ). */
const DUE_SLACK_MS = 5_000;
/** Added to the timeout for how long a taken attempt holds the delivery. */
const LEASE_MARGIN_MS = 60_000;
/** How long a delivery waits for a replay of its event to settle before looking again. */
export const REPLAY_WAIT_MS = 60_000;

/**
 * Consumes a batch of `omisell-forwards`: each message's attempt is made in parallel and ends in a
 * fate (`attemptDelivery`) that the dispatcher carries out. A next attempt is a resend (a fresh
 * message with a delay), so the queue's own retry count never decides when a delivery gives up:
 * the delivery's row does. The queue's retry is only for D1 failures. Should a resend not go out,
 * the message is still acknowledged: the row says when the delivery is due, and the cron sweeper
 * sends it once that is overdue. While forwarding is off, messages are acknowledged unread and the
 * deliveries stay pending in D1 until it is on again.
 */
export async function consumeForwards(batch: MessageBatch<unknown>, deps: ForwardDeps): Promise<void> {
  await dispatchBatch(batch.messages, (fates) => decideForwards(batch.messages, deps, fates), {
    queue: deps.queue,
    resendFailed: async () => {},
    random: deps.random,
  });
}

async function decideForwards(messages: readonly Message<unknown>[], deps: ForwardDeps, fates: Fates<unknown>) {
  const { destination } = deps.config;
  if (!destination) {
    log("warn", "forward_off_messages_dropped", { messages: messages.length });
    for (const message of messages) fates.set(message, ACK);
    return;
  }
  await Promise.all(
    messages.map((message) =>
      attemptDelivery(deps, destination, message).then(
        (fate) => fates.set(message, fate),
        // Left undecided: the dispatcher retries it.
        (err: unknown) => log("error", "forward_attempt_threw", { error: describeError(err) }),
      ),
    ),
  );
}

/**
 * One attempt: take the delivery's attempt if it is pending and due (a copy of the message, or one
 * for an attempt already made, finds it not due and is dropped), load the event and its order
 * snapshot, POST the signed body. A 2xx marks it `delivered`. Any other answer records the
 * attempt and, until the delivery's `retry_until`, resends the message for the next attempt; past
 * it the delivery ends `failed`. An event that is `received` again (a replay reopened it) sends
 * nothing: a forwarded body only ever carries a final status (`waitForReplay`). When D1 fails, the
 * message is retried once the attempt it may have taken has lapsed.
 */
async function attemptDelivery(
  deps: ForwardDeps,
  destination: ForwardDestination,
  message: Message<unknown>,
): Promise<Fate<ForwardMessage>> {
  const id = deliveryIdOf(message.body);
  if (!id) {
    log("warn", "forward_message_malformed", { attempts: message.attempts });
    return ACK;
  }
  const leaseMs = deps.config.timeoutMs + LEASE_MARGIN_MS;
  const now = deps.now();
  try {
    const attempt = await claimDeliveryAttempt(deps.db, id, now + DUE_SLACK_MS, now + leaseMs);
    if (!attempt) return ACK;
    const { delivery, event, order, summary } = attempt;
    if (!event) {
      await markDeliveryFailed(deps.db, id, "the event is no longer stored (purged by retention)");
      log("warn", "forward_event_missing", { delivery_id: id, event_id: delivery.event_id });
      return ACK;
    }
    if (event.status === "received") return await waitForReplay(deps, id, delivery.retry_until);
    const body = deliveryBody({ createdAt: delivery.created_at, event, order, summary });
    const outcome = await deps.post(destination, id, body);
    const at = deps.now();
    const attempts = delivery.attempts + 1;
    if (outcome.ok) {
      await markDelivered(deps.db, id, at, outcome.statusCode);
      log("info", "forward_delivered", { delivery_id: id, event_id: event.id, attempts });
      return ACK;
    }
    const next = afterFailure(attempts, at, delivery.retry_until, deps.random(), deps.config.backoffBaseSeconds);
    const nextAttemptAt = next.kind === "retry" ? next.nextAttemptAt : null;
    await recordFailedAttempt(deps.db, id, { at, statusCode: outcome.statusCode, error: outcome.error, nextAttemptAt });
    if (next.kind === "fail") {
      log("warn", "forward_failed", { delivery_id: id, event_id: event.id, attempts, error: outcome.error });
      return ACK;
    }
    log("warn", "forward_retry", { delivery_id: id, attempts, error: outcome.error, delay: next.delaySeconds });
    return resend(next.delaySeconds, { deliveryId: id });
  } catch (err) {
    log("error", "forward_write_failed", { delivery_id: id, error: describeError(err) });
    return retry(Math.ceil(leaseMs / 1000) + 1);
  }
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
