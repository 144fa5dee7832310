/** Stores one verified push exactly once and gets its follow-up on the way. */
import type { BeginAnswer } from "../dedupe/claim-shard";
import { beginPush, finishPush } from "../dedupe/claims";
import { describeError, HttpError, storageUnavailable } from "../errors";
import type { NewEvent } from "../events/vocabulary";
import { enqueueFollowup } from "../followup/message";
import { log } from "../lib/log";
import { type InsertOutcome, insertEvent } from "../store/event-writes";
import { markFollowupDue } from "../store/followup-state";

/**
 * The steps of storing a push, passed in (the app uses `livePushSteps`), so tests hand in fakes
 * that fail at any one of them and check that a retry converges to one row and one follow-up.
 */
export type PushSteps = {
  begin: typeof beginPush;
  insert: typeof insertEvent;
  enqueue: typeof enqueueFollowup;
  /** Only when the send failed: the row is made due, so the sweeper sends it after SWEEP_AFTER. */
  markDue: typeof markFollowupDue;
  finish: typeof finishPush;
};

/** The real steps: the claim shards, D1, the follow-up queue. */
export const livePushSteps: Readonly<PushSteps> = Object.freeze({
  begin: beginPush,
  insert: insertEvent,
  enqueue: enqueueFollowup,
  markDue: markFollowupDue,
  finish: finishPush,
});

export type IngestOutcome = { status: "accepted" | "duplicate"; eventId: string };

/** How long a copy in flight holds other copies off when it never reports its outcome. */
export type ClaimDurations = { leaseMs: number };

type WaitUntil = { waitUntil(promise: Promise<unknown>): void };

function retryLater(retryAfterMs: number): HttpError {
  return new HttpError(409, "in_flight", "a copy of this push is still being stored; retry", {
    headers: { "Retry-After": String(Math.max(1, Math.ceil(retryAfterMs / 1000))) },
  });
}

/**
 * One durable write on the way to an accepted 200 (the D1 insert), none for a duplicate:
 *   1. ask the push's claim shard (memory only): first copy, already seen, or wait;
 *   2. insert the row (`ON CONFLICT (dedupe_key) DO NOTHING`): D1 is the durable truth;
 *   3. send the follow-up; 4. answer 200; then tell the shard the outcome.
 * A 200 is only ever given for a row that is in D1 and whose follow-up is on the queue or left,
 * `received`, for the cron sweeper.
 */
export async function ingestPush(
  steps: PushSteps,
  env: Env,
  ctx: WaitUntil,
  row: NewEvent,
  durations: ClaimDurations,
): Promise<IngestOutcome> {
  const { dedupe_key: dedupeKey } = row;
  const token = crypto.randomUUID();

  // 1. The shard. If it cannot be reached (after one retry with a fresh stub), carry on with D1
  //    alone: its unique key still guarantees one row and answers duplicates durably.
  let answer: BeginAnswer | null = null;
  try {
    answer = await steps.begin(env.CLAIMS, dedupeKey, token, durations.leaseMs);
  } catch (err) {
    log("warn", "claim_unavailable", { dedupe_key: dedupeKey, error: describeError(err) });
  }
  if (answer?.kind === "seen") return { status: "duplicate", eventId: answer.eventId };
  if (answer?.kind === "wait") throw retryLater(answer.retryAfterMs);
  // The outcome is told after the answer, off the acknowledgement path, also when `begin` failed
  // (it may have opened the ticket all the same). Wrapped so that even a step that throws
  // synchronously cannot turn the answer into a 500.
  const finish = (outcome: Parameters<PushSteps["finish"]>[3]) => {
    const call = async () => steps.finish(env.CLAIMS, dedupeKey, token, outcome);
    ctx.waitUntil(
      call().catch((err) => log("warn", "claim_finish_failed", { dedupe_key: dedupeKey, error: describeError(err) })),
    );
  };

  // 2. Insert. On failure the copies waiting on this one are told to retry, and so is Omisell.
  let stored: InsertOutcome;
  try {
    stored = await steps.insert(env.DB, row);
  } catch (err) {
    log("error", "event_insert_failed", { dedupe_key: dedupeKey, error: describeError(err) });
    finish({ stored: false });
    throw storageUnavailable(err);
  }

  // 3. Send the follow-up of a new row, or of a stored row still `received` (an earlier attempt
  //    may have died between its insert and its send; the consumer ignores repeats). If the send
  //    fails, the row stays `received` and the cron sweeper sends it: the 200 still holds. The
  //    row is then marked due (a second write on this failure path only), so the sweeper sends it
  //    after SWEEP_AFTER; should that write fail too, the never-scheduled rule still finds it.
  //    A row stored already settled (a self-test push) has no follow-up.
  if (stored.inserted ? row.status === "received" : stored.status === "received") {
    try {
      await steps.enqueue(env.FOLLOWUPS, stored.id, "push");
    } catch (err) {
      log("error", "followup_enqueue_failed", { event_id: stored.id, error: describeError(err) });
      try {
        await steps.markDue(env.DB, stored.id);
      } catch (markErr) {
        log("error", "followup_mark_due_failed", { event_id: stored.id, error: describeError(markErr) });
      }
    }
  }
  finish({ stored: true, eventId: stored.id });
  return { status: stored.inserted ? "accepted" : "duplicate", eventId: stored.id };
}

/**
 * A signed push we cannot use is still kept, once (its key is the hash of its body), with status
 * `invalid`: nothing Omisell sends is lost, and an operator can read what Omisell really sent.
 * It is never followed up, so no shard and no enqueue.
 */
export async function storeInvalidPush(steps: PushSteps, env: Env, row: NewEvent): Promise<InsertOutcome> {
  try {
    return await steps.insert(env.DB, row);
  } catch (err) {
    log("error", "invalid_push_insert_failed", { dedupe_key: row.dedupe_key, error: describeError(err) });
    throw storageUnavailable(err);
  }
}
