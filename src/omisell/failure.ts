/** What a failed call to the Omisell API means for whoever made it. Pure. */
/**
 * - `throttled`: Omisell answered 429 (HTTP, or an `error: true` envelope with `error_code` 429),
 *   or our own rate limiter said to wait. Omisell was busy, nothing is wrong with the request: the
 *   caller comes back later without counting it as an attempt.
 * - `retryable`: network errors, timeouts, HTTP 408 and 5xx, a 2xx whose body is not Omisell's
 *   JSON envelope (a proxy or gateway glitch), and an `error: true` envelope whose `error_code` is
 *   408 or 5xx.
 * - `permanent`: everything else (other 4xx, other `error: true` answers): asking again would get
 *   the same answer.
 */
export type FailureKind = "retryable" | "permanent" | "throttled";

export type ApiFailure = {
  kind: FailureKind;
  /** Readable, stored in `events.last_error`. */
  error: string;
  /** HTTP status, when there was an answer. */
  status?: number;
  /** Seconds the API (or the rate limiter) asked us to wait. */
  retryAfterSeconds?: number;
  /** The API rejected the credentials (HTTP 401 or an envelope with error_code 401). */
  unauthorized?: boolean;
};

/** How long a 429 pauses calls when neither `Retry-After` nor `data.retry_after` says. */
export const DEFAULT_THROTTLE_SECONDS = 30;

/** Kind of failure for an HTTP status (or an envelope's `error_code`). */
export function classifyStatus(status: number): FailureKind {
  if (status === 429) return "throttled";
  return status === 408 || status >= 500 ? "retryable" : "permanent";
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

/** A throttled answer's `data.retry_after` (seconds, number or digits). Null when absent or unusable. */
function readBodyRetryAfter(body: unknown): number | null {
  if (typeof body !== "object" || body === null || !("data" in body)) return null;
  const data = body.data;
  if (typeof data !== "object" || data === null || !("retry_after" in data)) return null;
  const value = data.retry_after;
  const seconds = typeof value === "number" ? value : typeof value === "string" ? Number(value.trim()) : Number.NaN;
  return Number.isFinite(seconds) && seconds >= 0 ? Math.ceil(seconds) : null;
}

/** How long a 429 pauses calls: `Retry-After`, else the body's `data.retry_after`, else 30 s. */
export function throttlePauseSeconds(retryAfterHeader: number | null, body: unknown): number {
  return retryAfterHeader ?? readBodyRetryAfter(body) ?? DEFAULT_THROTTLE_SECONDS;
}

/** `X-Omisell-Api-Call-Limit: <used>/<capacity>`: how full Omisell says our bucket is. */
export type CallLimit = { used: number; capacity: number };

export function parseCallLimit(value: string | null): CallLimit | null {
  const match = value?.trim().match(/^(\d+)\s*\/\s*(\d+)$/);
  if (!match) return null;
  const used = Number(match[1]);
  const capacity = Number(match[2]);
  return capacity > 0 ? { used, capacity } : null;
}
