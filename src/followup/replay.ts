/**
 * Replay: follow an event up again on request (the read API's admin endpoint calls this). The
 * event goes back to `received` (attempts and last_error stay as history) and a message with
 * reason "replay" is enqueued, carrying the attempts made so far so the replay gets a full retry
 * budget of its own. Idempotent: replaying twice puts two messages on the queue, and
 * the consumer acts on whichever comes first and acknowledges the other. If the enqueue fails,
 * the event is still `received` and the cron sweeper re-enqueues it after SWEEP_AFTER_SECONDS.
 * `invalid` events have nothing to follow up and are not replayed.
 */
import { getEvent } from "../store/event-reads";
import { reopenEventForReplay } from "../store/followup-state";
import { enqueueFollowup } from "./message";

export type ReplayOutcome = {
  eventId: string;
  /** The status the event had before the replay. */
  previousStatus: string;
  /** False only for `invalid` events, which are left as they are. */
  enqueued: boolean;
};

/** Null when there is no event with this id. */
export async function replayEvent(env: Env, eventId: string): Promise<ReplayOutcome | null> {
  const reopened = await reopenEventForReplay(env.DB, eventId, Date.now());
  if (!reopened) return null;
  if (reopened.previous === "invalid") return { eventId, previousStatus: reopened.previous, enqueued: false };
  const attemptsBefore = (await getEvent(env.DB, eventId))?.attempts ?? 0;
  await enqueueFollowup(env.FOLLOWUPS, eventId, "replay", attemptsBefore);
  return { eventId, previousStatus: reopened.previous, enqueued: true };
}
