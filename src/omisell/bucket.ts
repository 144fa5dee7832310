/** The arithmetic of our copy of Omisell's rate limit: a leaky bucket per credential (or seller). Pure. */
export type Priority = "push" | "reconcile" | "replay" | "backfill";

/**
 * `<calls>/<seconds>` as parsed by the config, and `share`: the part of the bucket (0.1 to 1,
 * OMISELL_BUDGET_SHARE; 1 when absent) our calls may fill, the rest left to the seller's other tools.
 */
export type RateLimit = { capacity: number; windowMs: number; share?: number };

export type BucketState = {
  /** Calls in the bucket at `updatedAt` (fractional while draining). */
  level: number;
  capacity: number;
  updatedAt: number;
  /** No call goes out before this (epoch ms; 0 when not paused). */
  pausedUntil: number;
  /** When each granted call whose answer was not reported yet was granted. */
  inFlight: number[];
  /** When a `push` call was last told to wait (0 or absent: never); the backfill keeps off for a window after. */
  pushWaitedAt?: number;
};

export type SlotAnswer = { go: true } | { go: false; waitMs: number };

/** The share of our ceiling (capacity × share) each priority may fill the bucket up to. */
export const PRIORITY_SHARE: Record<Priority, number> = { push: 1, reconcile: 0.75, replay: 0.5, backfill: 0.25 };

/** A granted call never reported (its caller died) stops counting as in flight after this. */
export const IN_FLIGHT_TTL_MS = 60_000;

/**
 * The bucket fills by one per call and drains at `capacity` calls per `windowMs`; state in, state
 * out, `now` passed in, so the OmisellRateLimiter object only stores and serves it.
 * - The budget share: our calls never fill the bucket past `capacity × share` (the ceiling); the
 *   rest is the seller's other tools'. Their calls count too, since the level follows Omisell's header.
 * - Priorities: a push follow-up may fill the bucket to our ceiling; reconciliation, a replay and
 *   the detail backfill only to their PRIORITY_SHARE of it, so a bulk replay always leaves room for
 *   new pushes. The backfill, the lowest, also keeps off for a whole window after a push call was
 *   told to wait: it only ever takes a slot no push follow-up is asking for.
 * - Omisell's `X-Omisell-Api-Call-Limit: <used>/<capacity>` is the truth: each answer sets the
 *   level (up or down) to `used` (other tools' calls included), plus the calls we granted that have
 *   not answered yet (`report`).
 * - A 429 fills the bucket and pauses every caller until Omisell's wait is over.
 */
export function emptyBucket(limit: RateLimit, now: number): BucketState {
  return { level: 0, capacity: limit.capacity, updatedAt: now, pausedUntil: 0, inFlight: [] };
}

function leakPerMs(limit: RateLimit): number {
  return limit.capacity / limit.windowMs;
}

/** The bucket as it is at `now`: drained since `updatedAt`, stale in-flight grants dropped. */
export function drain(state: BucketState, limit: RateLimit, now: number): BucketState {
  const elapsed = Math.max(0, now - state.updatedAt);
  return {
    ...state,
    level: Math.max(0, state.level - elapsed * leakPerMs(limit)),
    updatedAt: Math.max(now, state.updatedAt),
    inFlight: state.inFlight.filter((grantedAt) => now - grantedAt < IN_FLIGHT_TTL_MS),
  };
}

/** One call at `priority`: granted (the bucket takes it) or told how long to wait. */
export function acquire(
  state: BucketState,
  limit: RateLimit,
  priority: Priority,
  now: number,
): { state: BucketState; answer: SlotAnswer } {
  const current = drain(state, limit, now);
  if (current.pausedUntil > now) return refuse(current, priority, current.pausedUntil - now, now);
  if (priority === "backfill") {
    const quietFrom = (current.pushWaitedAt ?? 0) + limit.windowMs;
    if (quietFrom > now) return { state: current, answer: { go: false, waitMs: quietFrom - now } };
  }
  const ceiling = ceilingOf(current.capacity, limit) * PRIORITY_SHARE[priority];
  if (current.level + 1 <= ceiling) {
    return {
      state: { ...current, level: current.level + 1, inFlight: [...current.inFlight, now] },
      answer: { go: true },
    };
  }
  return refuse(current, priority, Math.ceil((current.level + 1 - ceiling) / leakPerMs(limit)), now);
}

/**
 * The most our calls may fill the bucket to: the capacity times the budget share, and never less
 * than one call (a share of a one-call bucket would otherwise allow none).
 */
export function ceilingOf(capacity: number, limit: RateLimit): number {
  return Math.max(Math.min(1, capacity), capacity * Math.min(1, Math.max(0, limit.share ?? 1)));
}

function refuse(state: BucketState, priority: Priority, waitMs: number, now: number) {
  const next = priority === "push" ? { ...state, pushWaitedAt: now } : state;
  return { state: next, answer: { go: false, waitMs: Math.max(1, waitMs) } as SlotAnswer };
}

/** What the adaptive follow-up reads of the bucket: its level now, our ceiling, a 429's pause. */
export type BucketView = { level: number; capacity: number; ceiling: number; pausedUntil: number };

/** The bucket as it stands at `now`, without taking a slot. */
export function viewBucket(state: BucketState, limit: RateLimit, now: number): BucketView {
  const current = drain(state, limit, now);
  return {
    level: current.level,
    capacity: current.capacity,
    ceiling: ceilingOf(current.capacity, limit),
    pausedUntil: current.pausedUntil,
  };
}

/** What a caller reports after a granted call: Omisell's header, and the pause a 429 asked for. */
export type CallReport = { used?: number; capacity?: number; pauseMs?: number };

export function report(state: BucketState, limit: RateLimit, call: CallReport, now: number): BucketState {
  const current = drain(state, limit, now);
  // This call has answered: it is no longer in flight.
  let next: BucketState = { ...current, inFlight: current.inFlight.slice(1) };
  if (call.capacity !== undefined && call.capacity > 0) next = { ...next, capacity: call.capacity };
  if (call.used !== undefined && call.used >= 0) {
    // Calls granted after this one may already be counted by us but not yet by Omisell.
    next = { ...next, level: Math.min(next.capacity, call.used + next.inFlight.length) };
  }
  if (call.pauseMs !== undefined && call.pauseMs > 0) {
    next = { ...next, level: next.capacity, pausedUntil: Math.max(next.pausedUntil, now + call.pauseMs) };
  }
  return next;
}
