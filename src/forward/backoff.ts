/**
 * When a failed delivery is tried again, and when it is given up. Pure: no I/O.
 *
 * Waits double from 30 s to a cap of 6 hours (30 s, 1 min, 2 min … 4 h 16 min, then every 6 h),
 * half fixed and half random so that deliveries failing together do not come back together.
 * A delivery is tried until `retry_until` (3 days after it was created, or after a manual
 * retry): the last wait is cut so that one attempt lands on that deadline, and a failure at or
 * after it ends the delivery `failed`. That is about 25 attempts over the 3 days (22 to 33,
 * with the jitter).
 */
export const RETRY_WINDOW_MS = 3 * 24 * 3_600_000;
export const BACKOFF_BASE_SECONDS = 30;
export const BACKOFF_MAX_SECONDS = 6 * 3600;
/** Cloudflare Queues delay a message by at most 12 hours. */
export const MAX_QUEUE_DELAY_SECONDS = 43_200;

/**
 * The wait after failed attempt number `attempts` (1 for the first), before the deadline cut.
 * `baseSeconds` is the first wait (FORWARD_BACKOFF_BASE_SECONDS; tests shorten it).
 */
export function backoffSeconds(attempts: number, random: number, baseSeconds = BACKOFF_BASE_SECONDS): number {
  const exponent = Math.min(Math.max(attempts, 1) - 1, 30);
  const ceiling = Math.min(BACKOFF_MAX_SECONDS, baseSeconds * 2 ** exponent);
  const jittered = Math.ceil(ceiling / 2 + (ceiling / 2) * Math.min(Math.max(random, 0), 1));
  return Math.min(MAX_QUEUE_DELAY_SECONDS, jittered);
}

export type AfterFailure = { kind: "retry"; delaySeconds: number; nextAttemptAt: number } | { kind: "fail" };

/** What follows failed attempt number `attempts`, made at `now`, for a delivery tried until `retryUntil`. */
export function afterFailure(
  attempts: number,
  now: number,
  retryUntil: number,
  random: number,
  baseSeconds = BACKOFF_BASE_SECONDS,
): AfterFailure {
  const remainingSeconds = Math.ceil((retryUntil - now) / 1000);
  if (remainingSeconds <= 0) return { kind: "fail" };
  const delaySeconds = Math.max(1, Math.min(backoffSeconds(attempts, random, baseSeconds), remainingSeconds));
  return { kind: "retry", delaySeconds, nextAttemptAt: now + delaySeconds * 1000 };
}
