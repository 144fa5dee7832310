/** The arithmetic of our copy of Omisell's rate limit: a leaky bucket per credential (or seller). Pure. */
export type Priority = "push" | "reconcile" | "replay";

/** `<calls>/<seconds>` as parsed by the config. */
export type RateLimit = { capacity: number; windowMs: number };

export type BucketState = {
  /** Calls in the bucket at `updatedAt` (fractional while draining). */
  level: number;
  capacity: number;
  updatedAt: number;
  /** No call goes out before this (epoch ms; 0 when not paused). */
  pausedUntil: number;
  /** When each granted call whose answer was not reported yet was granted. */
  inFlight: number[];
};

export type SlotAnswer = { go: true } | { go: false; waitMs: number };

/** The share of the capacity each priority may fill the bucket up to. */
export const PRIORITY_SHARE: Record<Priority, number> = { push: 1, reconcile: 0.75, replay: 0.5 };

/** A granted call never reported (its caller died) stops counting as in flight after this. */
export const IN_FLIGHT_TTL_MS = 60_000;

/**
 * The bucket fills by one per call and drains at `capacity` calls per `windowMs`; state in, state
 * out, `now` passed in, so the OmisellRateLimiter object only stores and serves it.
 * - Priorities: a push follow-up may fill the bucket to the brim; reconciliation and a replay only
 *   to their PRIORITY_SHARE of it, so a bulk replay always leaves room for new pushes.
 * - Omisell's `X-Omisell-Api-Call-Limit: <used>/<capacity>` is the truth: each answer sets the
 *   level (up or down) to `used`, plus the calls we granted that have not answered yet (`report`).
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
  if (current.pausedUntil > now) return { state: current, answer: { go: false, waitMs: current.pausedUntil - now } };
  const ceiling = current.capacity * PRIORITY_SHARE[priority];
  if (current.level + 1 <= ceiling) {
    return {
      state: { ...current, level: current.level + 1, inFlight: [...current.inFlight, now] },
      answer: { go: true },
    };
  }
  const waitMs = Math.ceil((current.level + 1 - ceiling) / leakPerMs(limit));
  return { state: current, answer: { go: false, waitMs: Math.max(1, waitMs) } };
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
