/** The consumer of `omisell-forwards`: walks the feed when nudged, and makes one attempt of a delivery per message. */
import { describeError } from "../errors";
import { log } from "../lib/log";
import { dispatchBatch } from "../queue/dispatch";
import { ACK, type Fates, retry } from "../queue/fate";
import { WALK_ALL } from "../queue/walk-nudge";
import { attemptDelivery } from "./attempt";
import type { ForwardDeps } from "./deps";
import { deliveryIdOf, walkOf } from "./message";
import { walkDestinations } from "./walker";

/** A walk that failed (D1) comes back after this; the minute cron walks meanwhile anyway. */
const WALK_RETRY_SECONDS = 5;

/**
 * Consumes a batch of `omisell-forwards`: the walk messages of the batch make one walk (of every
 * active destination, or of those named), and each delivery's attempt is made in parallel and
 * ends in a fate (`attemptDelivery`) that the dispatcher carries out. A next attempt is a resend
 * (a fresh message with a delay), so the queue's own retry count never decides when a delivery
 * gives up: the delivery's row does. The queue's retry is only for D1 failures. Should a resend
 * not go out, the message is still acknowledged: the row says when the delivery is due, and the
 * cron sweeper sends it once that is overdue.
 */
export async function consumeForwards(batch: MessageBatch<unknown>, deps: ForwardDeps): Promise<void> {
  await dispatchBatch(batch.messages, (fates) => decideForwards(batch.messages, deps, fates), {
    queue: deps.queue,
    resendFailed: async () => {},
    random: deps.random,
  });
}

async function decideForwards(messages: readonly Message<unknown>[], deps: ForwardDeps, fates: Fates<unknown>) {
  const walks = messages.filter((message) => walkOf(message.body) !== null);
  const attempts = messages.filter((message) => walkOf(message.body) === null);
  await Promise.all([
    walk(deps, walks, fates),
    ...attempts.map((message) => {
      const id = deliveryIdOf(message.body);
      if (!id) {
        log("warn", "forward_message_malformed", { attempts: message.attempts });
        fates.set(message, ACK);
        return Promise.resolve();
      }
      return attemptDelivery(deps, id).then(
        (fate) => fates.set(message, fate),
        // Left undecided: the dispatcher retries it.
        (err: unknown) => log("error", "forward_attempt_threw", { error: describeError(err) }),
      );
    }),
  ]);
}

/** One walk for all the batch's walk messages: of every destination if one asks for all, else of those named. */
async function walk(deps: ForwardDeps, messages: readonly Message<unknown>[], fates: Fates<unknown>) {
  if (messages.length === 0) return;
  const named = new Set(messages.map((message) => walkOf(message.body) ?? WALK_ALL));
  const targets = named.has(WALK_ALL) ? [WALK_ALL] : [...named];
  try {
    const now = deps.now();
    for (const target of targets) await walkDestinations(deps, now, target);
    for (const message of messages) fates.set(message, ACK);
  } catch (err) {
    log("error", "walk_failed", { error: describeError(err) });
    for (const message of messages) fates.set(message, retry(WALK_RETRY_SECONDS));
  }
}
