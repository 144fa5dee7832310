/** When a failed delivery is tried again, and when it is given up. Pure. */
import { type BackoffPolicy, backoffSeconds } from "../queue/backoff";

/** A delivery is tried for 3 days after it was created, or after a manual retry. */
export const RETRY_WINDOW_MS = 3 * 24 * 3_600_000;

/**
 * Waits double from 30 s (FORWARD_BACKOFF_BASE_SECONDS; tests shorten it) to a cap of 6 hours:
 * 30 s, 1 min, 2 min … 4 h 16 min, then every 6 h, jittered (queue/backoff.ts).
 */
export const DELIVERY_BACKOFF: BackoffPolicy = { baseSeconds: 30, maxSeconds: 6 * 3600 };

export type AfterFailure = { kind: "retry"; delaySeconds: number; nextAttemptAt: number } | { kind: "fail" };

/**
 * What follows failed attempt number `attempts`, made at `now`, for a delivery tried until
 * `retryUntil`: the backoff, cut so that one attempt lands on the deadline; at or after the
 * deadline, `fail`. About 25 attempts over the 3 days (22 to 33, with the jitter).
 */
export function afterFailure(
  attempts: number,
  now: number,
  retryUntil: number,
  random: number,
  baseSeconds = DELIVERY_BACKOFF.baseSeconds,
): AfterFailure {
  const remainingSeconds = Math.ceil((retryUntil - now) / 1000);
  if (remainingSeconds <= 0) return { kind: "fail" };
  const backoff = backoffSeconds(attempts, { ...DELIVERY_BACKOFF, baseSeconds }, random);
  const delaySeconds = Math.max(1, Math.min(backoff, remainingSeconds));
  return { kind: "retry", delaySeconds, nextAttemptAt: now + delaySeconds * 1000 };
}
