/**
 * FOLLOWUP_DETAIL=adaptive in the consumer: reads what the choice (choice.ts) needs, the orders
 * waiting and the bucket, only when the batch has an order the list could settle, and splits the
 * batch's orders between the list and their detail.
 */
import { log } from "../lib/log";
import { budgetOf } from "../omisell/limiter-handle";
import type { OrderFollowupState } from "../store/followup-batch";
import { type Candidate, callsWithinTarget, chooseFollowup, isListable } from "./choice";
import type { BatchDecision } from "./decision";
import type { FollowupQueueMessage } from "./message";
import type { OrderGroup } from "./plan";

type Group = OrderGroup<FollowupQueueMessage>;
type QuietGroup = { group: Group; delaySeconds: number };

/** The batch's orders after the choice: listed now, fetched now, or left to their quiet window. */
export type AdaptiveSplit = { byList: Group[]; byDetail: Group[]; quiet: QuietGroup[] };

/** Waiting events looked at per order the budget could fetch: enough to tell "more orders than that". */
const EVENTS_PER_ORDER = 4;
const MAX_EVENTS_COUNTED = 5_000;

/**
 * The split of this batch's orders. With FOLLOWUP_DETAIL=always, or no order of the batch the list
 * could settle (new orders, shipments, replays), nothing is read and every due order is fetched.
 * Otherwise the choice sees every order waiting (a bounded count, cached briefly) and the bucket;
 * in list mode the orders it lists need not wait for their quiet window (one listing covers a whole
 * burst of pushes), so they are taken from the quiet ones too.
 */
export async function splitForAdaptive(
  batch: BatchDecision,
  due: readonly Group[],
  quiet: readonly QuietGroup[],
  orders: ReadonlyMap<string, OrderFollowupState>,
  now: number,
): Promise<AdaptiveSplit> {
  const { config, deps } = batch;
  const unchanged = { byList: [], byDetail: [...due], quiet: [...quiet] };
  if (config.detail !== "adaptive") return unchanged;
  const candidateOf = (group: Group): Candidate & { group: Group } => ({
    orderNumber: group.orderNumber,
    known: (orders.get(group.orderNumber)?.fetchedAt ?? null) !== null,
    listable: group.deliveries.every((delivery) => isListable(delivery.event, now, config.freshnessTargetMs)),
    group,
  });
  const candidates = [...due, ...quiet.map((waiting) => waiting.group)].map(candidateOf);
  if (!candidates.some((candidate) => candidate.known && candidate.listable)) return unchanged;

  const sellerId = candidates.find((candidate) => candidate.known)?.group.sellerId ?? null;
  const limit = budgetOf(deps.config.omisell);
  const bucket = await deps.bucket(sellerId);
  const budget = callsWithinTarget(bucket, limit, config.freshnessTargetMs, now);
  const eventCap = Math.min(MAX_EVENTS_COUNTED, EVENTS_PER_ORDER * (budget + 1));
  const waiting = await deps.waitingOrders(eventCap, config.freshnessTargetMs);
  const choice = chooseFollowup({ waiting, bucket, limit, targetMs: config.freshnessTargetMs, now }, candidates);
  if (choice.mode === "detail") return unchanged;

  const listed = new Set(choice.byList.map((candidate) => candidate.group));
  log("info", "followup_adaptive_list", {
    waiting: waiting.orders,
    known: waiting.known,
    arriving: waiting.arriving,
    calls_within_target: choice.callsWithinTarget,
    by_list: listed.size,
    list_calls: choice.listCalls,
  });
  return {
    byList: [...listed],
    byDetail: due.filter((group) => !listed.has(group)),
    quiet: quiet.filter((waiting) => !listed.has(waiting.group)),
  };
}
