/**
 * What to do after a failed call to the Omisell API, and how long to wait before the next try.
 * Pure: no I/O, so every rule is tested directly.
 *
 * Retryable: network errors, timeouts, HTTP 408, 429 and 5xx, a 2xx whose body is not Omisell's
 * JSON envelope (a proxy or gateway glitch), and an `error: true` envelope whose `error_code`
 * is 408, 429 or 5xx. Everything else (other 4xx, other `error: true` answers) is permanent:
 * asking again would get the same answer.
 */
export type FailureKind = "retryable" | "permanent";

export type ApiFailure = {
  kind: FailureKind;
  /** Readable, stored in `events.last_error`. */
  error: string;
  /** HTTP status, when there was an answer. */
  status?: number;
  /** Seconds the API asked us to wait (Retry-After). */
  retryAfterSeconds?: number;
  /** The API rejected the credentials (HTTP 401 or an envelope with error_code 401). */
  unauthorized?: boolean;
};

export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 429 || status >= 500;
}

/** Kind of failure for an HTTP status (or an envelope's `error_code`). */
export function classifyStatus(status: number): FailureKind {
  return isRetryableStatus(status) ? "retryable" : "permanent";
}

/** The `Retry-After` header as seconds: delta-seconds or an HTTP date. Null when absent or unreadable. */
export function parseRetryAfter(value: string | null, nowMs: number): number | null {
  if (value === null) return null;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed);
  const date = Date.parse(trimmed);
  if (Number.isNaN(date)) return null;
  return Math.max(0, Math.ceil((date - nowMs) / 1000));
}

/** Cloudflare Queues accept a retry delay of at most 12 hours. */
export const MAX_QUEUE_DELAY_SECONDS = 43_200;

export type BackoffPolicy = { baseSeconds: number; maxSeconds: number };

/**
 * Delay before delivery number `attempt + 1`, where `attempt` is the delivery that just failed
 * (1 for the first). Exponential (base · 2^(attempt-1)), capped at `maxSeconds`, with "equal
 * jitter" (half fixed, half random) so that a burst of failures does not come back as a burst.
 * A Retry-After from the API is a floor: we never come back sooner than asked, even past the cap
 * (up to the queue's 12 h limit).
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
