/** Replay: follow one event up again on request (the read API's admin endpoint, the dashboard). */
import { describeError } from "../errors";
import { log } from "../lib/log";
import { markFollowupDue, reopenEventForReplay } from "../store/followup-state";
import { enqueueFollowup } from "./message";

export type ReplayOutcome = {
  eventId: string;
  /** The status the event had before the replay. */
  previousStatus: string;
  /** False only for `invalid` events and self-test pushes, which are left as they are. */
  enqueued: boolean;
  /** `queued`: the message is on the queue; `scheduled`: the enqueue failed, the sweeper will send it. */
  delivery: "queued" | "scheduled";
};

/**
 * The event goes back to `received` as its next generation (attempts and last_error stay as
 * history) and a message with reason "replay" is enqueued, carrying that generation and the
 * attempts made so far, so the replay gets a full retry budget of its own and no message of an
 * earlier follow-up can settle it. Replaying twice puts two messages on the queue; the older one is
 * acknowledged unread. If the enqueue fails, the event is still `received` and the cron sweeper
 * sends it after SWEEP_AFTER_SECONDS: the replay is then `scheduled`, not lost. `invalid` events
 * have nothing to follow up and are not replayed, nor are the doctor's self-test pushes (never
 * followed up). Null when there is no event with this id.
 */
export async function replayEvent(env: Env, eventId: string): Promise<ReplayOutcome | null> {
  const reopened = await reopenEventForReplay(env.DB, eventId, Date.now());
  if (!reopened) return null;
  if (reopened.previous === "invalid" || reopened.source === "selftest") {
    return { eventId, previousStatus: reopened.previous, enqueued: false, delivery: "queued" };
  }
  try {
    await enqueueFollowup(env.FOLLOWUPS, eventId, "replay", reopened.attempts, reopened.generation);
    return { eventId, previousStatus: reopened.previous, enqueued: true, delivery: "queued" };
  } catch (err) {
    log("error", "replay_enqueue_failed", { event_id: eventId, error: describeError(err) });
    // Due from its reopen, so the sweeper sends it after SWEEP_AFTER_SECONDS; should this write
    // fail too, it is sent after SWEEP_LOST_AFTER_SECONDS all the same.
    await markFollowupDue(env.DB, eventId).catch((markErr: unknown) =>
      log("error", "followup_mark_due_failed", { event_id: eventId, error: describeError(markErr) }),
    );
    return { eventId, previousStatus: reopened.previous, enqueued: true, delivery: "scheduled" };
  }
}
