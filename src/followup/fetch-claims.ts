/** Which orders of a batch this batch may fetch, when the queue runs several batches at once. */
import { describeError } from "../errors";
import { log } from "../lib/log";
import { LIMITER_WAIT_BOUND_MS } from "../omisell/client";
import { claimOrderFetches } from "../store/fetch-claims";

/** Slack on top of the calls themselves: the claim statement, the writes after the fetch. */
const LEASE_MARGIN_MS = 10_000;

/**
 * How long a batch's claims last. The fetches run `parallelism` at a time, so the last order of a
 * big batch is fetched several rounds after the claim was taken: the lease covers every round, each
 * a whole call (limiter waits included).
 */
export function fetchClaimLeaseMs(orders: number, parallelism: number, callTimeoutMs: number): number {
  const rounds = Math.max(1, Math.ceil(orders / Math.max(1, parallelism)));
  return rounds * (callTimeoutMs + LIMITER_WAIT_BOUND_MS) + LEASE_MARGIN_MS;
}

/** Seconds before the events of an order another batch is fetching look for its snapshot. */
export const CLAIMED_WAIT_SECONDS = 2;

/**
 * Events of one order that land in two batches must still cause one fetch: the batch claims its
 * orders in one statement (store/fetch-claims.ts) and leaves the others (`elsewhere`) to whoever
 * holds them. Should D1 refuse the claim, every group is `claimed`: a spare fetch beats a stalled
 * follow-up.
 */
export async function claimFetches<G extends { orderNumber: string }>(
  db: D1Database,
  lease: { parallelism: number; callTimeoutMs: number },
  groups: readonly G[],
  token: string,
  now: number,
): Promise<{ claimed: G[]; elsewhere: G[] }> {
  let claimed: Set<string>;
  try {
    const until = now + fetchClaimLeaseMs(groups.length, lease.parallelism, lease.callTimeoutMs);
    claimed = await claimOrderFetches(
      db,
      groups.map((group) => group.orderNumber),
      token,
      now,
      until,
    );
  } catch (err) {
    log("error", "followup_claim_failed", { error: describeError(err) });
    return { claimed: [...groups], elsewhere: [] };
  }
  return {
    claimed: groups.filter((group) => claimed.has(group.orderNumber)),
    elsewhere: groups.filter((group) => !claimed.has(group.orderNumber)),
  };
}
