/**
 * Stores one verified push exactly once and gets its follow-up on the way: claim the dedupe key,
 * insert the row (idempotent), commit the claim, enqueue the follow-up. A 200 is only ever given
 * for a row that is in D1 and whose follow-up is on the queue or left for the cron sweeper.
 *
 * The steps are passed in (`PushSteps`; the app uses `livePushSteps`), so tests hand in fakes
 * that fail at any one of them and check that a retry converges to one row and one follow-up.
 */
import type { ClaimState } from "../dedupe/claim-shard";
import { claimPush, commitPush, releasePush } from "../dedupe/claims";
import { describeError, HttpError, storageUnavailable } from "../errors";
import type { NewEvent } from "../events/vocabulary";
import { enqueueFollowup } from "../followup/message";
import { log } from "../lib/log";
import { type InsertOutcome, insertEvent } from "../store/event-writes";

export type PushSteps = {
  claim: typeof claimPush;
  insert: typeof insertEvent;
  enqueue: typeof enqueueFollowup;
  commit: typeof commitPush;
  release: typeof releasePush;
};

/** The real steps: the claim shards, D1, the follow-up queue. */
export const livePushSteps: Readonly<PushSteps> = Object.freeze({
  claim: claimPush,
  insert: insertEvent,
  enqueue: enqueueFollowup,
  commit: commitPush,
  release: releasePush,
});

export type IngestOutcome = { status: "accepted" | "duplicate"; eventId: string };

/** How long a claim holds off other copies, and how long a committed claim is kept. */
export type ClaimDurations = { leaseMs: number; retainMs: number };

type WaitUntil = { waitUntil(promise: Promise<unknown>): void };

export async function ingestPush(
  steps: PushSteps,
  env: Env,
  ctx: WaitUntil,
  row: NewEvent,
  durations: ClaimDurations,
): Promise<IngestOutcome> {
  const token = crypto.randomUUID();
  const { dedupe_key: dedupeKey, id: eventId } = row;

  // 1. Claim. If the claim shards cannot be reached, carry on: the D1 unique constraint still
  //    guarantees one row, and a duplicate is then answered from D1, which is durable.
  let claim: ClaimState | null = null;
  try {
    claim = await steps.claim(env.CLAIMS, dedupeKey, token, eventId, durations.leaseMs);
  } catch (err) {
    log("warn", "claim_unavailable", { dedupe_key: dedupeKey, error: describeError(err) });
  }
  if (claim?.state === "committed") return { status: "duplicate", eventId: claim.eventId };
  if (claim?.state === "in_flight") {
    throw new HttpError(409, "in_flight", "a copy of this push is still being stored; retry", {
      headers: { "Retry-After": String(Math.max(1, Math.ceil(claim.retryAfterMs / 1000))) },
    });
  }

  // 2. Insert. On failure give the claim back so Omisell's retry is not kept waiting by the lease.
  let stored: InsertOutcome;
  try {
    stored = await steps.insert(env.DB, row);
  } catch (err) {
    log("error", "event_insert_failed", { dedupe_key: dedupeKey, error: describeError(err) });
    if (claim) {
      // Wrapped so that even a release that throws synchronously cannot turn the 503 into a 500.
      const release = async () => steps.release(env.CLAIMS, dedupeKey, token);
      ctx.waitUntil(release().catch(() => {}));
    }
    throw storageUnavailable(err);
  }

  // 3. Commit, then enqueue. In this order a crash leaves at most one follow-up message per
  //    push: before the commit, a retry takes the claim over and enqueues; after it, the retry is
  //    a duplicate and the row, still `received`, is re-enqueued by the cron sweeper. A row found
  //    already stored is enqueued again only while it is still `received` (claims were lost, or
  //    an earlier attempt died before its enqueue); the consumer ignores repeats.
  try {
    await steps.commit(env.CLAIMS, dedupeKey, stored.id, durations.retainMs);
  } catch (err) {
    // The row is durable: a later copy meets an expired lease, takes over and is told `duplicate`.
    log("warn", "claim_commit_failed", { event_id: stored.id, error: describeError(err) });
  }
  if (stored.inserted || stored.status === "received") {
    try {
      await steps.enqueue(env.FOLLOWUPS, stored.id, "push");
    } catch (err) {
      log("error", "followup_enqueue_failed", { event_id: stored.id, error: describeError(err) });
    }
  }

  // A takeover finishes an attempt that was never answered 200, so it is still the acceptance.
  const takeover = claim?.state === "claimed" && claim.takeover;
  const status = stored.inserted || takeover ? "accepted" : "duplicate";
  return { status, eventId: stored.id };
}

/**
 * A signed push we cannot use is still kept, once (its key is the hash of its body), with status
 * `invalid`: nothing Omisell sends is lost, and an operator can read what Omisell really sent.
 * It is never followed up, so no claim and no enqueue.
 */
export async function storeInvalidPush(steps: PushSteps, env: Env, row: NewEvent): Promise<InsertOutcome> {
  try {
    return await steps.insert(env.DB, row);
  } catch (err) {
    log("error", "invalid_push_insert_failed", { dedupe_key: row.dedupe_key, error: describeError(err) });
    throw storageUnavailable(err);
  }
}
