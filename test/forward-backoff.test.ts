/** The retry schedule of forwarded deliveries: pure, so tested directly. */
import { describe, expect, it } from "vitest";
import { afterFailure, DELIVERY_BACKOFF, RETRY_WINDOW_MS } from "../src/forward/backoff";
import { backoffSeconds, MAX_QUEUE_DELAY_SECONDS } from "../src/queue/backoff";

describe("the wait after a failed attempt", () => {
  it("doubles from 30 seconds with each attempt (at the top of the jitter)", () => {
    expect([1, 2, 3, 4, 5].map((attempts) => backoffSeconds(attempts, DELIVERY_BACKOFF, 1))).toEqual([
      30, 60, 120, 240, 480,
    ]);
  });

  it("is never less than half of that (the fixed half of the jitter)", () => {
    expect([1, 2, 3].map((attempts) => backoffSeconds(attempts, DELIVERY_BACKOFF, 0))).toEqual([15, 30, 60]);
  });

  it("stops growing at 6 hours, within the queue's 12-hour delay limit", () => {
    expect(backoffSeconds(40, DELIVERY_BACKOFF, 1)).toBe(6 * 3600);
    expect(DELIVERY_BACKOFF.maxSeconds).toBeLessThanOrEqual(MAX_QUEUE_DELAY_SECONDS);
  });
});

describe("what follows a failed attempt", () => {
  const created = Date.UTC(2026, 10, 30);
  const retryUntil = created + RETRY_WINDOW_MS;

  it("schedules a retry after the backoff while the 3-day window is open", () => {
    expect(afterFailure(1, created, retryUntil, 1)).toEqual({
      kind: "retry",
      delaySeconds: 30,
      nextAttemptAt: created + 30_000,
    });
  });

  it("cuts the last wait so that one attempt lands on the deadline", () => {
    const now = retryUntil - 90_000;
    expect(afterFailure(20, now, retryUntil, 1)).toEqual({
      kind: "retry",
      delaySeconds: 90,
      nextAttemptAt: retryUntil,
    });
  });

  it("gives up when the attempt ends at or after the deadline", () => {
    expect(afterFailure(20, retryUntil, retryUntil, 0.5)).toEqual({ kind: "fail" });
    expect(afterFailure(3, retryUntil + 1, retryUntil, 0.5)).toEqual({ kind: "fail" });
  });

  it("keeps trying for the whole 3 days, about 25 attempts, the last one on the deadline", () => {
    let now = created;
    let attempts = 0;
    let last = now;
    for (;;) {
      attempts += 1;
      last = now;
      const next = afterFailure(attempts, now, retryUntil, 0.5);
      if (next.kind === "fail") break;
      now = next.nextAttemptAt;
    }
    expect(last).toBe(retryUntil);
    expect(attempts).toBeGreaterThanOrEqual(22);
    expect(attempts).toBeLessThanOrEqual(33);
  });
});
