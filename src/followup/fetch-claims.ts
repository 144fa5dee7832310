/**
 * Which orders of a batch this batch may fetch: the queue runs several batches at once, and
 * events of one order that land in two of them must still cause one fetch. The batch claims its
 * orders in one statement (src/store/fetch-claims.ts) and leaves the others to whoever holds them.
 */
import type { Config } from "../config";
import { describeError } from "../errors";
import { log } from "../lib/log";
import { LIMITER_WAIT_BOUND_MS } from "../omisell/client";
import { claimOrderFetches } from "../store/fetch-claims";
import type { FollowupMessage } from "./message";
import type { OrderGroup } from "./plan";
import { sendBack } from "./send-back";

type QueueMessage = Message<FollowupMessage>;

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
const CLAIMED_WAIT_SECONDS = 2;

/**
 * The groups this batch may fetch: those whose order no other batch is fetching. The others'
 * messages come back shortly (a wait, not an attempt) and then find the other batch's snapshot.
 * Should D1 refuse the claim, every group is fetched: a spare fetch beats a stalled follow-up.
 */
export async function claimFetches(
  env: Env,
  config: Config,
  groups: OrderGroup<QueueMessage>[],
  token: string,
  now: number,
): Promise<OrderGroup<QueueMessage>[]> {
  let claimed: Set<string>;
  try {
    const until = now + fetchClaimLeaseMs(groups.length, config.FOLLOWUP_PARALLELISM, config.OMISELL_API_TIMEOUT_MS);
    claimed = await claimOrderFetches(
      env.DB,
      groups.map((group) => group.orderNumber),
      token,
      now,
      until,
    );
  } catch (err) {
    log("error", "followup_claim_failed", { error: describeError(err) });
    return groups;
  }
  const elsewhere = groups.filter((group) => !claimed.has(group.orderNumber));
  if (elsewhere.length > 0) {
    const waits = elsewhere.flatMap((group) =>
      group.deliveries.map((delivery) => ({ delivery, delaySeconds: CLAIMED_WAIT_SECONDS })),
    );
    log("info", "followup_fetch_elsewhere", { orders: elsewhere.map((group) => group.orderNumber) });
    await sendBack(env, waits);
  }
  return groups.filter((group) => claimed.has(group.orderNumber));
}
