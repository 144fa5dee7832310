/**
 * Stores one verified push exactly once and gets its follow-up on the way: claim the dedupe key,
 * insert the row (idempotent), commit the claim, enqueue the follow-up. A 200 is only ever given
 * for a row that is in D1 and whose follow-up is on the queue or left for the cron sweeper.
 *
 * The steps are reached through `pushSteps`, a plain object, so tests can make any one of them
 * fail and check that a retry converges to one row and one follow-up.
 */
import type { ClaimState } from "../dedupe/claim-shard";
import { claimPush, commitPush, releasePush } from "../dedupe/claims";
import { describeError, HttpError, storageUnavailable } from "../errors";
import { enqueueFollowup } from "../followup/message";
import { newEventId } from "../lib/ids";
import { log } from "../lib/log";
import { insertEvent, type NewEvent } from "../store/events";

export const pushSteps = {
  claim: claimPush,
  insert: insertEvent,
  enqueue: enqueueFollowup,
  commit: commitPush,
  release: releasePush,
};

export type IngestOutcome = { status: "accepted" | "duplicate"; eventId: string };

export type IngestInput = {
  dedupeKey: string;
  receivedAt: number;
  row: Omit<NewEvent, "id" | "dedupe_key" | "received_at">;
  leaseMs: number;
  retainMs: number;
};

export async function ingestPush(
  env: Env,
  ctx: { waitUntil(promise: Promise<unknown>): void },
  input: IngestInput,
): Promise<IngestOutcome> {
  const token = crypto.randomUUID();
  const { dedupeKey } = input;
  const eventId = newEventId(input.receivedAt);

  // 1. Claim. If the claim shards cannot be reached, carry on: the D1 unique constraint still
  //    guarantees one row, and a duplicate is then answered from D1, which is durable.
  let claim: ClaimState | null = null;
  try {
    claim = await pushSteps.claim(env.CLAIMS, dedupeKey, token, eventId, input.leaseMs);
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
  let stored: Awaited<ReturnType<typeof insertEvent>>;
  try {
    stored = await pushSteps.insert(env.DB, {
      ...input.row,
      id: eventId,
      dedupe_key: dedupeKey,
      received_at: input.receivedAt,
    });
  } catch (err) {
    log("error", "event_insert_failed", { dedupe_key: dedupeKey, error: describeError(err) });
    if (claim) {
      // Wrapped so that even a release that throws synchronously cannot turn the 503 into a 500.
      const release = async () => pushSteps.release(env.CLAIMS, dedupeKey, token);
      ctx.waitUntil(release().catch(() => {}));
    }
    throw storageUnavailable();
  }

  // 3. Commit, then enqueue. In this order a crash leaves at most one follow-up message per
  //    push: before the commit, a retry takes the claim over and enqueues; after it, the retry is
  //    a duplicate and the row, still `received`, is re-enqueued by the cron sweeper. A row found
  //    already stored is enqueued again only while it is still `received` (claims were lost, or
  //    an earlier attempt died before its enqueue); the consumer ignores repeats.
  try {
    await pushSteps.commit(env.CLAIMS, dedupeKey, stored.id, input.retainMs);
  } catch (err) {
    // The row is durable: a later copy meets an expired lease, takes over and is told `duplicate`.
    log("warn", "claim_commit_failed", { event_id: stored.id, error: describeError(err) });
  }
  if (stored.inserted || stored.status === "received") {
    try {
      await pushSteps.enqueue(env.FOLLOWUPS, stored.id, "push");
    } catch (err) {
      log("error", "followup_enqueue_failed", { event_id: stored.id, error: describeError(err) });
    }
  }

  // A takeover finishes an attempt that was never answered 200, so it is still the acceptance.
  const takeover = claim?.state === "claimed" && claim.takeover;
  const status = stored.inserted || takeover ? "accepted" : "duplicate";
  return { status, eventId: stored.id };
}
