/**
 * Omisell's API budget as the stand-in plays it: a leaky bucket `capacity` calls deep that drains
 * `capacity` calls every `seconds`, continuously. A call that would overflow it is refused with
 * the seconds to wait until it would fit. Time is passed in, so the arithmetic is tested directly.
 */

/** A budget of `capacity` calls per `seconds`. */
export type RateLimit = { capacity: number; seconds: number };

/** What taking one call from the bucket gave: the level after it, or when one more would fit. */
export type Take = { ok: true; used: number } | { ok: false; used: number; retryAfterSeconds: number };

export type LeakyBucket = {
  readonly capacity: number;
  /**
   * Takes one call. `used` is the level after it (whole calls, as Omisell's header shows it);
   * a refused call leaves the bucket as it was and says when one more would fit.
   */
  take(now: number): Take;
  /** The level now, in whole calls. */
  used(now: number): number;
};

/** `"100/60"` -> { capacity: 100, seconds: 60 }; `null`, `""` or `"off"` -> null (no limit). */
export function parseRateLimit(text: unknown): RateLimit | null {
  if (text === null || text === undefined || text === "" || text === "off") return null;
  const match = /^\s*(\d+)\s*\/\s*(\d+(?:\.\d+)?)\s*$/.exec(String(text));
  const capacity = Number(match?.[1]);
  const seconds = Number(match?.[2]);
  if (!match || capacity < 1 || !(seconds > 0)) {
    throw new Error(`rateLimit must be "<calls>/<seconds>" (e.g. "100/60") or "off", not ${JSON.stringify(text)}`);
  }
  return { capacity, seconds };
}

export function createLeakyBucket(limit: RateLimit, nowMs: number): LeakyBucket {
  const drainPerMs = limit.capacity / (limit.seconds * 1000);
  let level = 0;
  let at = nowMs;

  function drain(now: number): void {
    level = Math.max(0, level - (now - at) * drainPerMs);
    at = Math.max(at, now);
  }

  return {
    capacity: limit.capacity,
    take(now) {
      drain(now);
      if (level + 1 > limit.capacity + 1e-9) {
        const waitMs = (level + 1 - limit.capacity) / drainPerMs;
        return { ok: false, used: limit.capacity, retryAfterSeconds: Math.max(1, Math.ceil(waitMs / 1000)) };
      }
      level += 1;
      return { ok: true, used: Math.min(limit.capacity, Math.ceil(level - 1e-9)) };
    },
    used(now) {
      drain(now);
      return Math.max(0, Math.ceil(level - 1e-9));
    },
  };
}
