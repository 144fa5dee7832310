/** The sweeper (every-minute cron): sends again the follow-ups the queue has lost. */
import { readConfig } from "../config";
import { enqueueFollowups, type FollowupMessage, followupBody } from "../followup/message";
import { encodeIdTime } from "../lib/ids";
import { log } from "../lib/log";
import {
  consumerFrontier,
  listOverdueFollowups,
  markFollowupsRescheduled,
  type OverdueFollowup,
} from "../store/followup-state";

/**
 * The message re-sent for an overdue follow-up, as the follow-up it stands for: a replay keeps its
 * lowest priority and its own retry budget (counted from the attempts it was reopened with), an
 * event reconciliation added keeps reconcile priority, any other goes as a push would.
 */
export function sweptFollowup(event: OverdueFollowup): FollowupMessage {
  if (event.reopened_at !== null) {
    return followupBody(event.id, "replay", event.reopen_attempts ?? undefined, event.generation);
  }
  const reason = event.source === "reconcile" ? "reconcile" : "sweep";
  return followupBody(event.id, reason, undefined, event.generation);
}

/** Per run; the cron runs every minute, so a large backlog drains over a few runs. */
const SWEEP_LIMIT = 500;

/**
 * Re-enqueues events still `received` whose follow-up is overdue by SWEEP_AFTER_SECONDS (a lost
 * enqueue, a consumer that crashed, a replay whose enqueue failed, a wait whose message could not
 * be sent). It marks what it re-enqueued, so running it again right away sends nothing twice; an
 * event waiting out a retry delay is not overdue until that delay has passed.
 *
 * An event never scheduled (next_attempt_at NULL: its first message was enqueued by the push path,
 * which marks nothing, to keep one durable write per push) may simply be waiting in a queue
 * backlog. It is re-sent only when the queue has evidently lost it: the consumer has since settled
 * an event received SWEEP_AFTER later (it got past this one's place in the queue), or it is
 * SWEEP_LOST_AFTER_SECONDS old (default 30 min: a backlog that long, or a lost last push with
 * nothing after it). A replayed event is treated alike, its wait counted from its reopen; a push
 * or replay whose enqueue failed is marked due at once, so it is re-sent after SWEEP_AFTER. A
 * spare message costs no Omisell call: the consumer acknowledges it once the event has settled.
 * Returns how many it re-enqueued (at most SWEEP_LIMIT a run).
 */
export async function sweepStuckFollowups(env: Env, nowMs: number): Promise<number> {
  const { sweepAfterMs, sweepLostAfterMs } = readConfig(env).followup;
  const overdueBefore = nowMs - sweepAfterMs;
  const frontier = await consumerFrontier(env.DB);
  const lostBefore = Math.max(
    nowMs - Math.max(sweepLostAfterMs, sweepAfterMs),
    Math.min(overdueBefore, (frontier ?? 0) - sweepAfterMs),
  );
  const overdue = await listOverdueFollowups(
    env.DB,
    { receivedBeforeId: encodeIdTime(overdueBefore), scheduledBefore: overdueBefore, neverScheduledBefore: lostBefore },
    SWEEP_LIMIT,
  );
  if (overdue.length > 0) {
    // Marked before sending, so a message the consumer reschedules meanwhile keeps its later time
    // (the mark never moves next_attempt_at back); a failed send is swept again next period.
    await markFollowupsRescheduled(
      env.DB,
      overdue.map((event) => event.id),
      nowMs,
    );
    await enqueueFollowups(env.FOLLOWUPS, overdue.map(sweptFollowup), "sweep");
    log("warn", "followups_swept", { count: overdue.length });
  }
  return overdue.length;
}
