/** The pure retry rules: which failures retry, how Retry-After is read, and the backoff curve. */
import { describe, expect, it } from "vitest";
import { backoffSeconds, classifyStatus, MAX_QUEUE_DELAY_SECONDS, parseRetryAfter } from "../src/followup/retry-policy";

const policy = { baseSeconds: 10, maxSeconds: 3600 };

describe("classifyStatus", () => {
  it.each([408, 429, 500, 502, 503, 504])("treats %i as retryable", (status) => {
    expect(classifyStatus(status)).toBe("retryable");
  });

  it.each([400, 401, 403, 404, 409, 422])("treats %i as permanent", (status) => {
    expect(classifyStatus(status)).toBe("permanent");
  });
});

describe("parseRetryAfter", () => {
  it("reads delta-seconds", () => {
    expect(parseRetryAfter("120", 0)).toBe(120);
  });

  it("reads an HTTP date relative to now", () => {
    const now = Date.parse("2026-11-28T10:00:00Z");
    expect(parseRetryAfter("Sat, 28 Nov 2026 10:01:30 GMT", now)).toBe(90);
  });

  it("returns null for a missing or unreadable header", () => {
    expect(parseRetryAfter(null, 0)).toBeNull();
    expect(parseRetryAfter("soon", 0)).toBeNull();
  });
});

describe("backoffSeconds", () => {
  it("doubles with each attempt, between half and all of base·2^(attempt-1)", () => {
    expect([1, 2, 3, 4].map((attempt) => backoffSeconds(attempt, policy, 0))).toEqual([5, 10, 20, 40]);
    expect([1, 2, 3, 4].map((attempt) => backoffSeconds(attempt, policy, 1))).toEqual([10, 20, 40, 80]);
  });

  it("spreads retries of the same attempt with jitter", () => {
    const delays = new Set([0, 0.25, 0.5, 0.75, 1].map((random) => backoffSeconds(5, policy, random)));
    expect(delays.size).toBe(5);
  });

  it("never exceeds the cap", () => {
    expect(backoffSeconds(30, policy, 1)).toBe(3600);
    expect(backoffSeconds(1000, policy, 1)).toBe(3600);
  });

  it("waits at least the Retry-After the API asked for, even past the cap", () => {
    expect(backoffSeconds(1, policy, 0, 90)).toBe(90);
    expect(backoffSeconds(1, policy, 0, 7200)).toBe(7200);
  });

  it("stays within the queue's 12-hour delay limit", () => {
    expect(backoffSeconds(1, policy, 0, 100_000)).toBe(MAX_QUEUE_DELAY_SECONDS);
  });
});
