/**
 * The consumer of `omisell-forwards`: one attempt per message.
 *
 * For each message: take the delivery's attempt if it is pending and due (a copy of the message,
 * or one for an attempt already made, finds it not due and is dropped), load the event and its
 * order snapshot, POST the signed body. A 2xx marks it `delivered`. Any other outcome records
 * the attempt and, until the delivery's `retry_until`, schedules the next one by sending a fresh
 * message with a delay: the queue's own retry count never decides when a delivery gives up, the
 * delivery's row does. Past `retry_until` it ends `failed`. A message lost on the way (a send or
 * D1 write that failed, a crash) is re-sent by the cron sweeper from the row, so nothing is dropped.
 * A delivery whose event is `received` again (a replay reopened it) sends nothing: a forwarded
 * body only ever carries a final status. It waits REPLAY_WAIT_MS, no attempt counted, and is sent
 * once the replay has settled the event, or ends `failed` if it has not by `retry_until`.
 */
import { type ForwardConfig, readForwardConfig } from "../config";
import { describeError } from "../errors";
import { log } from "../lib/log";
import {
  claimDeliveryAttempt,
  markDelivered,
  markDeliveryFailed,
  postponeDelivery,
  recordFailedAttempt,
} from "../store/deliveries";
import { afterFailure } from "./backoff";
import { deliveryIdOf, sendForwards } from "./message";
import { deliveryBody } from "./payload";
import { sendDelivery } from "./send";

/** A message may arrive this much before the attempt it was sent for is due (clocks differ). */
const DUE_SLACK_MS = 5_000;
/** Added to the timeout for how long a taken attempt holds the delivery. */
const LEASE_MARGIN_MS = 60_000;
/** How long a delivery waits for a replay of its event to settle before looking again. */
export const REPLAY_WAIT_MS = 60_000;

export async function consumeForwards(batch: MessageBatch<unknown>, env: Env): Promise<void> {
  const config = readForwardConfig(env);
  if (!config) {
    // Forwarding is off (or misconfigured): deliveries stay pending in D1 and the sweeper sends
    // them again once it is on.
    log("warn", "forward_off_messages_dropped", { messages: batch.messages.length });
    for (const message of batch.messages) message.ack();
    return;
  }
  await Promise.all(batch.messages.map((message) => attemptDelivery(env, config, message)));
}

async function attemptDelivery(env: Env, config: ForwardConfig, message: Message<unknown>): Promise<void> {
  const id = deliveryIdOf(message.body);
  if (!id) {
    log("warn", "forward_message_malformed", { attempts: message.attempts });
    message.ack();
    return;
  }
  // When D1 fails, the message comes back once the attempt it may have taken has lapsed.
  const leaseMs = config.timeoutMs + LEASE_MARGIN_MS;
  const retryLater = (err: unknown) => {
    log("error", "forward_write_failed", { delivery_id: id, error: describeError(err) });
    message.retry({ delaySeconds: Math.ceil(leaseMs / 1000) + 1 });
  };

  const now = Date.now();
  let attempt: Awaited<ReturnType<typeof claimDeliveryAttempt>>;
  try {
    attempt = await claimDeliveryAttempt(env.DB, id, now + DUE_SLACK_MS, now + leaseMs);
  } catch (err) {
    retryLater(err);
    return;
  }
  if (!attempt) {
    message.ack();
    return;
  }
  const { delivery, event, order } = attempt;
  try {
    if (!event) {
      await markDeliveryFailed(env.DB, id, "the event is no longer stored (purged by retention)");
      log("warn", "forward_event_missing", { delivery_id: id, event_id: delivery.event_id });
      message.ack();
      return;
    }
    if (event.status === "received") {
      await waitForReplay(env, id, delivery.retry_until);
      message.ack();
      return;
    }
    const outcome = await sendDelivery(config, id, deliveryBody({ createdAt: delivery.created_at, event, order }));
    const at = Date.now();
    const attempts = delivery.attempts + 1;
    if (outcome.ok) {
      await markDelivered(env.DB, id, at, outcome.statusCode);
      log("info", "forward_delivered", { delivery_id: id, event_id: event.id, attempts });
      message.ack();
      return;
    }
    const next = afterFailure(attempts, at, delivery.retry_until, Math.random(), config.backoffBaseSeconds);
    const nextAttemptAt = next.kind === "retry" ? next.nextAttemptAt : null;
    await recordFailedAttempt(env.DB, id, { at, statusCode: outcome.statusCode, error: outcome.error, nextAttemptAt });
    if (next.kind === "fail") {
      log("warn", "forward_failed", { delivery_id: id, event_id: event.id, attempts, error: outcome.error });
    } else {
      log("warn", "forward_retry", { delivery_id: id, attempts, error: outcome.error, delay: next.delaySeconds });
      await sendForwards(env.FORWARDS, [id], next.delaySeconds).catch((err: unknown) => {
        // The row says when it is due: the sweeper sends it once that is overdue.
        log("error", "forward_send_failed", { delivery_id: id, error: describeError(err) });
      });
    }
    message.ack();
  } catch (err) {
    retryLater(err);
  }
}

/**
 * The event is being replayed: look again in REPLAY_WAIT_MS (not past `retryUntil`), or end the
 * delivery `failed` when its window is over. A lost message is re-sent by the sweeper.
 */
async function waitForReplay(env: Env, id: string, retryUntil: number): Promise<void> {
  const now = Date.now();
  if (now >= retryUntil) {
    await markDeliveryFailed(env.DB, id, "the event was still being replayed when the delivery's retry window ended");
    log("warn", "forward_failed_replaying", { delivery_id: id });
    return;
  }
  const nextAttemptAt = Math.min(now + REPLAY_WAIT_MS, retryUntil);
  await postponeDelivery(env.DB, id, nextAttemptAt);
  log("info", "forward_waits_for_replay", { delivery_id: id });
  await sendForwards(env.FORWARDS, [id], Math.ceil((nextAttemptAt - now) / 1000)).catch((err: unknown) => {
    log("error", "forward_send_failed", { delivery_id: id, error: describeError(err) });
  });
}
