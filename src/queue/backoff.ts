/** How long a queue message waits before it comes back: the one backoff of both queues. */

/** Cloudflare Queues delay a message by at most 12 hours. */
export const MAX_QUEUE_DELAY_SECONDS = 43_200;

export type BackoffPolicy = { baseSeconds: number; maxSeconds: number };

/**
 * The wait after failed try number `attempt` (1 for the first): exponential (base · 2^(attempt-1)),
 * capped at `maxSeconds`, with "equal jitter" (half fixed, half random) so that a burst of failures
 * does not come back as a burst. `floorSeconds` (a Retry-After the other side sent) is a floor:
 * never sooner than asked, even past the cap, up to the queue's 12 h limit.
 * @example backoffSeconds(3, { baseSeconds: 10, maxSeconds: 3600 }, 0.5) // 30 (20 to 40 with the jitter)
 */
export function backoffSeconds(
  attempt: number,
  policy: BackoffPolicy,
  random: number,
  floorSeconds?: number | null,
): number {
  const exponent = Math.min(Math.max(attempt, 1) - 1, 30);
  const ceiling = Math.min(policy.maxSeconds, policy.baseSeconds * 2 ** exponent);
  const jittered = Math.ceil(ceiling / 2 + (ceiling / 2) * Math.min(Math.max(random, 0), 1));
  return Math.min(MAX_QUEUE_DELAY_SECONDS, Math.max(jittered, floorSeconds ?? 0));
}

/**
 * The wait the other side asked for (a Retry-After, the rate limiter's pause): at least a second,
 * plus up to a quarter more at random, so that messages throttled together do not return together.
 * @example throttledDelaySeconds(40, 1) // 50
 */
export function throttledDelaySeconds(retryAfterSeconds: number | undefined, random: number): number {
  const asked = Math.max(1, Math.ceil(retryAfterSeconds ?? 1));
  const spread = Math.ceil(asked * 0.25 * Math.min(Math.max(random, 0), 1));
  return Math.min(MAX_QUEUE_DELAY_SECONDS, asked + spread);
}
