/** The one backoff of both queues (pure): the retry curve, and the wait of a throttled message. */
import { describe, expect, it } from "vitest";
import { backoffSeconds, MAX_QUEUE_DELAY_SECONDS, throttledDelaySeconds } from "../src/queue/backoff";

const policy = { baseSeconds: 10, maxSeconds: 3600 };

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

describe("throttledDelaySeconds", () => {
  it("waits what was asked, plus at most a quarter more at random", () => {
    expect(throttledDelaySeconds(40, 0)).toBe(40);
    expect(throttledDelaySeconds(40, 1)).toBe(50);
  });

  it("waits at least a second when nothing was asked", () => {
    expect(throttledDelaySeconds(undefined, 0)).toBe(1);
    expect(throttledDelaySeconds(0, 0)).toBe(1);
  });

  it("stays within the queue's 12-hour delay limit", () => {
    expect(throttledDelaySeconds(100_000, 1)).toBe(MAX_QUEUE_DELAY_SECONDS);
  });
});
