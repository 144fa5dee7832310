/**
 * The adaptive follow-up's choice (FOLLOWUP_DETAIL=adaptive): which waiting orders are settled from
 * the order list, which by a fetch of their detail, and how many calls that takes. Pure.
 */
import type { BucketView, RateLimit } from "../omisell/bucket";
import type { FollowupEventState } from "../store/followup-batch";

/** Omisell's largest page of the order list. */
export const LIST_PAGE_SIZE = 100;

/**
 * Distinct orders with an event waiting for its follow-up (counted up to a bound), and of those, how
 * many have a detail snapshot; `arriving`: distinct orders with an event received in the last
 * target (whatever its status), the forecast of what the next target brings.
 */
export type WaitingOrders = { orders: number; known: number; arriving: number };

/**
 * An order of the batch to settle: `known` when a detail snapshot of it is stored, `listable` when
 * every one of its waiting events may be settled from the list (`isListable`).
 */
export type Candidate = { orderNumber: string; known: boolean; listable: boolean };

export type ChoiceInput = {
  /** Every order waiting, not only the batch's: on a sale day the batch is a small part of the queue. */
  waiting: WaitingOrders;
  /** The bucket as it stands; null when the limiter could not be read (planned as empty). */
  bucket: BucketView | null;
  /** OMISELL_RATE_LIMIT with OMISELL_BUDGET_SHARE. */
  limit: RateLimit;
  /** FOLLOWUP_FRESHNESS_SECONDS, in ms. */
  targetMs: number;
  now: number;
};

export type Choice<C extends Candidate> = {
  /** `detail`: every order by its detail (there is budget for all within the target); `list`: see byList. */
  mode: "detail" | "list";
  /** Calls the budget allows within the target (our share of the bucket's room now, plus its rate). */
  callsWithinTarget: number;
  byList: C[];
  byDetail: C[];
  /** List pages the waiting known orders take (one page covers up to 100 orders); 0 in detail mode. */
  listCalls: number;
  /** One per order fetched by its detail. */
  detailCalls: number;
};

/**
 * How many calls our share of the budget allows from `now` until `targetMs` later: the room left
 * under our ceiling (negative when other tools or a 429 filled the bucket past it, a debt repaid
 * first) plus what the bucket drains meanwhile at our share of its rate, minus the time a 429's
 * pause still holds every call. Never below zero.
 */
export function callsWithinTarget(bucket: BucketView | null, limit: RateLimit, targetMs: number, now: number): number {
  const share = Math.min(1, Math.max(0, limit.share ?? 1));
  const ratePerMs = (limit.capacity * share) / limit.windowMs;
  const paused = bucket ? Math.max(0, bucket.pausedUntil - now) : 0;
  const room = bucket ? bucket.ceiling - bucket.level : limit.capacity * share;
  return Math.max(0, Math.floor(room + ratePerMs * Math.max(0, targetMs - paused)));
}

/**
 * The choice for the batch's `candidates` (orders with events waiting and due for a call):
 * - when every order waiting, and as many again as arrived in the last target (the ones the next
 *   target brings), could be fetched within the target at the budget's rate
 *   (`waiting.orders + waiting.arriving <= callsWithinTarget`), all by detail, as
 *   FOLLOWUP_DETAIL=always would;
 * - otherwise the known orders whose waiting events are all status changes (`listable`) from the
 *   order list, one call per 100 of the known orders waiting, and the rest (new orders first of
 *   all: a list row is no substitute for an order never fetched) by detail.
 * @example chooseFollowup({ waiting: { orders: 400, known: 300, arriving: 150 }, bucket, limit, targetMs: 120_000, now }, batch)
 */
export function chooseFollowup<C extends Candidate>(input: ChoiceInput, candidates: readonly C[]): Choice<C> {
  const budget = callsWithinTarget(input.bucket, input.limit, input.targetMs, input.now);
  const toList = candidates.filter((candidate) => candidate.known && candidate.listable);
  if (input.waiting.orders + input.waiting.arriving <= budget || toList.length === 0) {
    return {
      mode: "detail",
      callsWithinTarget: budget,
      byList: [],
      byDetail: [...candidates],
      listCalls: 0,
      detailCalls: candidates.length,
    };
  }
  const byDetail = candidates.filter((candidate) => !toList.includes(candidate));
  return {
    mode: "list",
    callsWithinTarget: budget,
    byList: toList,
    byDetail,
    listCalls: Math.max(1, Math.ceil(Math.max(input.waiting.known, toList.length) / LIST_PAGE_SIZE)),
    detailCalls: byDetail.length,
  };
}

/**
 * The share of the target an event may wait for the list; after it, its order's detail is fetched
 * in the quarter left. Three quarters, not less: an order whose first batch chose the detail waits
 * its quiet window (FOLLOWUP_QUIET_MS) before it is looked at again, and by then a bulk action's
 * whole burst is in view and the list should still be open to it.
 */
export const LIST_PATIENCE = 0.75;

/**
 * Whether the order list may settle this waiting event: a status change of the order (category
 * `order`: a shipment's, a return's or an invoice's change needs the detail), its first follow-up
 * (a replay asks for the order anew), and younger than three quarters of the target, so that an order the list
 * does not show yet still gets its detail in time.
 */
export function isListable(
  event: Pick<FollowupEventState, "category" | "generation" | "reopened_at" | "received_at">,
  now: number,
  targetMs: number,
): boolean {
  return (
    event.category === "order" &&
    event.generation === 0 &&
    event.reopened_at === null &&
    now - event.received_at < targetMs * LIST_PATIENCE
  );
}
