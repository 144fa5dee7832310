/**
 * How long a follow-up waits before its next try after a retryable failure. Pure, tested directly.
 * (Which failures are retryable is the Omisell client's business: src/omisell/failure.ts.)
 */

/** Cloudflare Queues accept a retry delay of at most 12 hours. */
export const MAX_QUEUE_DELAY_SECONDS = 43_200;

export type BackoffPolicy = { baseSeconds: number; maxSeconds: number };

/**
 * Delay before try number `attempt + 1`, where `attempt` is the try that just failed (1 for the
 * first). Exponential (base · 2^(attempt-1)), capped at `maxSeconds`, with "equal jitter" (half
 * fixed, half random) so that a burst of failures does not come back as a burst. A Retry-After
 * from the API is a floor: we never come back sooner than asked, even past the cap (up to the
 * queue's 12 h limit).
 */
export function backoffSeconds(
  attempt: number,
  policy: BackoffPolicy,
  random: number,
  retryAfterSeconds?: number | null,
): number {
  const exponent = Math.min(Math.max(attempt, 1) - 1, 30);
  const ceiling = Math.min(policy.maxSeconds, policy.baseSeconds * 2 ** exponent);
  const jittered = Math.ceil(ceiling / 2 + (ceiling / 2) * Math.min(Math.max(random, 0), 1));
  const floor = retryAfterSeconds ?? 0;
  return Math.min(MAX_QUEUE_DELAY_SECONDS, Math.max(jittered, floor));
}

/**
 * Delay before a throttled follow-up comes back: what Omisell or the rate limiter asked for, at
 * least a second, plus up to a quarter more at random so a throttled batch does not return as
 * one burst.
 */
export function throttledDelaySeconds(retryAfterSeconds: number | undefined, random: number): number {
  const asked = Math.max(1, Math.ceil(retryAfterSeconds ?? 1));
  const spread = Math.ceil(asked * 0.25 * Math.min(Math.max(random, 0), 1));
  return Math.min(MAX_QUEUE_DELAY_SECONDS, asked + spread);
}
