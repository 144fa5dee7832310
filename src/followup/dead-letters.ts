/** The consumer of `omisell-followups-dlq`: the messages the queue gave up on after its retries. */
import { describeError } from "../errors";
import { log } from "../lib/log";
import { ACK, resend } from "../queue/fate";
import { type FollowupEventState, loadFollowupBatch } from "../store/followup-batch";
import { markEventDeadLettered } from "../store/followup-state";
import { attemptOf, type DecideBatch, followupConsumer, retryWithBackoff } from "./decision";
import { eventIdOf, type FollowupQueueMessage } from "./message";
import { generationOf, triesMade } from "./plan";

/** Why the event failed, when no try of it recorded an error. */
const GAVE_UP = "the queue gave up on this follow-up after its retries (no error was recorded)";

/**
 * Rounds of the queue's retries a follow-up gets without a try being recorded before it fails:
 * each round is FOLLOWUP_MAX_RETRIES retries with backoff (hours), so only a follow-up that kept
 * its consumer from deciding for that long (a poison message, a long D1 outage) gets here.
 */
export const MAX_DEAD_LETTER_ROUNDS = 3;
const STUCK = `the follow-up never completed in ${MAX_DEAD_LETTER_ROUNDS} rounds of the queue's retries (no try was recorded)`;

/**
 * The queue's retries count every time a message came back, not how often Omisell was asked, so
 * the event's own tries decide (`triesMade`: attempts since the follow-up began):
 * - FOLLOWUP_MAX_RETRIES tries or more: its retries are spent. The event ends `failed` (keeping
 *   its last error), never silently, and the destinations' walk is nudged.
 * - fewer: it got here by waits and lost writes (D1 down, a consumer that threw), not by tries.
 *   It goes back to `omisell-followups` as a fresh message after the longest backoff
 *   (FOLLOWUP_BACKOFF_MAX_SECONDS), for another round of the queue's retries, at most
 *   MAX_DEAD_LETTER_ROUNDS times; after that it ends `failed` too, saying so.
 * An event settled meanwhile, or reopened by a replay since the message was sent (a newer
 * generation), is left as it is.
 */
export const decideDeadLetters: DecideBatch = async (messages, batch) => {
  const { deps, config, fates } = batch;
  const named = messages.filter((message) => eventIdOf(message).length > 0);
  for (const message of messages) {
    if (eventIdOf(message).length > 0) continue;
    log("warn", "dead_letter_malformed", { attempts: message.attempts });
    fates.set(message, ACK);
  }
  let events: Map<string, FollowupEventState>;
  try {
    const loaded = await loadFollowupBatch(deps.db, [...new Set(named.flatMap(eventIdOf))], deps.now());
    events = new Map(loaded.events.map((event) => [event.id, event]));
  } catch (err) {
    log("error", "dead_letter_load_failed", { error: describeError(err) });
    retryWithBackoff(batch, named);
    return;
  }
  for (const message of named) {
    const event = events.get(eventIdOf(message)[0] ?? "");
    if (event?.status !== "received" || generationOf(message) !== event.generation) {
      fates.set(message, ACK);
      continue;
    }
    const tries = triesMade({ message, event });
    const rounds = deadLetterRoundsOf(message);
    if (tries < config.maxRetries && rounds < MAX_DEAD_LETTER_ROUNDS) {
      log("warn", "dead_letter_sent_back", { event_id: event.id, tries, rounds: rounds + 1 });
      fates.set(message, resend(config.backoff.maxSeconds, { ...message.body, deadLetterRounds: rounds + 1 }));
      continue;
    }
    const reason = tries < config.maxRetries ? STUCK : GAVE_UP;
    try {
      if (await markEventDeadLettered(deps.db, attemptOf({ message, event }), reason, deps.now())) {
        log("warn", "followup_dead_lettered", { event_id: event.id, tries });
        batch.settled = true;
      }
      fates.set(message, ACK);
    } catch (err) {
      log("error", "dead_letter_write_failed", { event_id: event.id, error: describeError(err) });
      retryWithBackoff(batch, [message]);
    }
  }
};

function deadLetterRoundsOf(message: FollowupQueueMessage): number {
  const rounds = message.body?.deadLetterRounds;
  return typeof rounds === "number" && Number.isInteger(rounds) && rounds > 0 ? rounds : 0;
}

/** Consumes a batch of `omisell-followups-dlq` (`decideDeadLetters`, carried out by the dispatcher). */
export const consumeDeadLetters = followupConsumer(decideDeadLetters);
