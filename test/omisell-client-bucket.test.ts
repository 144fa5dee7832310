/** The pure leaky bucket behind the Omisell rate limiter: fill, drain, header sync, 429 pause, priority headroom. */
import { describe, expect, it } from "vitest";
import { acquire, type BucketState, emptyBucket, IN_FLIGHT_TTL_MS, type Priority, report } from "../src/omisell/bucket";

const limit = { capacity: 10, windowMs: 10_000 }; // drains one call per second
const T0 = 1_000_000;

function fill(state: BucketState, calls: number, priority: Priority = "push", now = T0) {
  let current = state;
  for (let i = 0; i < calls; i++) {
    const result = acquire(current, limit, priority, now);
    if (!result.answer.go) throw new Error(`call ${i + 1} was refused`);
    current = result.state;
  }
  return current;
}

describe("capacity", () => {
  it("grants a push call until the bucket is full, then says how long to wait for one to drain", () => {
    const full = fill(emptyBucket(limit, T0), 10);
    expect(acquire(full, limit, "push", T0).answer).toEqual({ go: false, waitMs: 1000 });
  });
});

describe("draining over time", () => {
  it("frees one slot per capacity/window", () => {
    const full = fill(emptyBucket(limit, T0), 10);
    expect(acquire(full, limit, "push", T0 + 999).answer.go).toBe(false);
    expect(acquire(full, limit, "push", T0 + 1000).answer.go).toBe(true);
  });

  it("is empty again after a whole window, never below empty", () => {
    const full = fill(emptyBucket(limit, T0), 10);
    const later = acquire(full, limit, "push", T0 + 60_000);
    expect(later.answer.go).toBe(true);
    expect(later.state.level).toBe(1);
  });
});

describe("priority headroom", () => {
  it("lets a replay fill only half of the bucket and tells it to wait for the level to fall below that", () => {
    const half = fill(emptyBucket(limit, T0), 5, "replay");
    expect(acquire(half, limit, "replay", T0).answer).toEqual({ go: false, waitMs: 1000 });
  });

  it("lets reconciliation fill three quarters of the bucket", () => {
    const state = fill(emptyBucket(limit, T0), 7, "reconcile");
    expect(acquire(state, limit, "reconcile", T0).answer.go).toBe(false);
  });

  it("keeps room for pushes while replays are refused", () => {
    const state = fill(emptyBucket(limit, T0), 5, "replay");
    expect(acquire(state, limit, "replay", T0).answer.go).toBe(false);
    expect(() => fill(state, 5, "push")).not.toThrow();
  });
});

describe("sync with X-Omisell-Api-Call-Limit", () => {
  it("raises the level to what Omisell counted (calls we did not see)", () => {
    const one = fill(emptyBucket(limit, T0), 1);
    const synced = report(one, limit, { used: 9, capacity: 10 }, T0);
    expect(synced.level).toBe(9);
    expect(acquire(synced, limit, "push", T0).answer.go).toBe(true);
    expect(acquire(synced, limit, "replay", T0).answer.go).toBe(false);
  });

  it("lowers the level to what Omisell counted, keeping the calls still in flight", () => {
    const four = fill(emptyBucket(limit, T0), 4);
    const synced = report(four, limit, { used: 1, capacity: 10 }, T0);
    // One answered (Omisell counted it); three granted calls have not reached Omisell yet.
    expect(synced.level).toBe(4);
    const allAnswered = [2, 3, 4].reduce((state) => report(state, limit, { used: 1, capacity: 10 }, T0), synced);
    expect(allAnswered.level).toBe(1);
  });

  it("takes the capacity Omisell states", () => {
    const synced = report(fill(emptyBucket(limit, T0), 1), limit, { used: 1, capacity: 4 }, T0);
    expect(fill(synced, 3).level).toBe(4);
    expect(acquire(fill(synced, 3), limit, "push", T0).answer.go).toBe(false);
  });

  it("forgets a granted call never reported after IN_FLIGHT_TTL_MS", () => {
    const one = fill(emptyBucket(limit, T0), 2);
    const synced = report(one, limit, { used: 0, capacity: 10 }, T0 + IN_FLIGHT_TTL_MS);
    expect(synced.inFlight).toEqual([]);
    expect(synced.level).toBe(0);
  });
});

describe("pause on 429", () => {
  it("refuses every priority until the pause is over, then grants again", () => {
    const paused = report(fill(emptyBucket(limit, T0), 1), limit, { pauseMs: 30_000 }, T0);
    expect(acquire(paused, limit, "push", T0 + 1000).answer).toEqual({ go: false, waitMs: 29_000 });
    expect(acquire(paused, limit, "push", T0 + 30_000).answer.go).toBe(true);
  });

  it("never shortens a longer pause already in force", () => {
    const long = report(emptyBucket(limit, T0), limit, { pauseMs: 60_000 }, T0);
    const short = report(long, limit, { pauseMs: 5_000 }, T0);
    expect(short.pausedUntil).toBe(T0 + 60_000);
  });
});
