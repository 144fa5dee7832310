/**
 * OMISELL_BUDGET_SHARE: our calls never fill Omisell's bucket past capacity × share, counting the
 * other tools' calls that Omisell's call-limit header shows; the detail backfill, the lowest
 * priority, only takes a slot no push follow-up is asking for.
 */
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import { readConfig } from "../src/config";
import { acquire, type BucketState, emptyBucket, type Priority, report, viewBucket } from "../src/omisell/bucket";
import { requestOmisell } from "../src/omisell/client";
import { omisellConnection } from "../src/omisell/connection";
import { peekLimiter } from "../src/omisell/limiter-handle";
import { orderAnswer, stubOmisell } from "./helpers/followup";

afterEach(() => {
  vi.restoreAllMocks();
});

const T0 = 1_000_000;
/** Ten calls, draining one a second; 80 % of it ours. */
const limit = { capacity: 10, windowMs: 10_000, share: 0.8 };

function grants(state: BucketState, priority: Priority, now = T0): { state: BucketState; granted: number } {
  let current = state;
  let granted = 0;
  for (;;) {
    const result = acquire(current, limit, priority, now);
    current = result.state;
    if (!result.answer.go) return { state: current, granted };
    granted += 1;
  }
}

describe("the budget share in the bucket", () => {
  it("grants push calls up to capacity × share, then says to wait for the level to fall below it", () => {
    const { state, granted } = grants(emptyBucket(limit, T0), "push");
    expect(granted).toBe(8);
    expect(acquire(state, limit, "push", T0).answer).toEqual({ go: false, waitMs: 1000 });
    expect(acquire(state, limit, "push", T0 + 1000).answer.go).toBe(true);
  });

  it("counts another tool's calls shown in the call-limit header: fewer left for us", () => {
    let state = emptyBucket(limit, T0);
    // We made two calls; Omisell's header on the first answer says 6 are in the bucket: the
    // seller's other tool made 5 besides ours (the second of ours is still in flight).
    for (let i = 0; i < 2; i++) state = acquire(state, limit, "push", T0).state;
    state = report(state, limit, { used: 6, capacity: 10 }, T0);
    expect(state.level).toBe(7);
    const { granted } = grants(state, "push");
    expect(granted).toBe(1);
  });

  it("leaves the other tools their part: a bucket they filled past our share refuses us", () => {
    const state = report(emptyBucket(limit, T0), limit, { used: 9, capacity: 10 }, T0);
    expect(acquire(state, limit, "push", T0).answer).toEqual({ go: false, waitMs: 2000 });
  });

  it("scales every priority's headroom to our share", () => {
    expect(grants(emptyBucket(limit, T0), "reconcile").granted).toBe(6);
    expect(grants(emptyBucket(limit, T0), "replay").granted).toBe(4);
    expect(grants(emptyBucket(limit, T0), "backfill").granted).toBe(2);
  });

  it("still allows one call in a one-call bucket", () => {
    const tiny = { capacity: 1, windowMs: 60_000, share: 0.8 };
    expect(acquire(emptyBucket(tiny, T0), tiny, "push", T0).answer).toEqual({ go: true });
  });

  it("shows the level, our ceiling and a pause without taking a slot", () => {
    const paused = report(emptyBucket(limit, T0), limit, { pauseMs: 5_000 }, T0);
    expect(viewBucket(paused, limit, T0 + 1000)).toEqual({
      level: 9,
      capacity: 10,
      ceiling: 8,
      pausedUntil: T0 + 5_000,
    });
  });
});

describe("the detail backfill's priority", () => {
  it("never takes a slot a push follow-up needs: after a push was told to wait it keeps off for a window", () => {
    // Pushes filled our part; one more push is told to wait.
    const full = grants(emptyBucket(limit, T0), "push").state;
    const waited = acquire(full, limit, "push", T0).state;
    // Later the bucket has drained below the backfill's own ceiling, and still the backfill waits
    // until a whole window has passed since the push waited.
    expect(acquire(waited, limit, "backfill", T0 + 9_000).answer).toEqual({ go: false, waitMs: 1000 });
    expect(acquire(waited, limit, "backfill", T0 + 10_000).answer).toEqual({ go: true });
  });

  it("while the backfill holds its slots, a push still finds room", () => {
    const backfilled = grants(emptyBucket(limit, T0), "backfill").state;
    expect(grants(backfilled, "push").granted).toBe(6);
  });
});

describe("the budget share in the worker", () => {
  const configWith = (vars: Record<string, string>) =>
    readConfig({ OMISELL_ACCOUNT_KEY: `share-${crypto.randomUUID()}`, OMISELL_RATE_LIMIT: "10/600", ...vars }).omisell;

  it("defaults to 0.8 and reads 0.1 to 1", () => {
    expect(readConfig({}).omisell.budgetShare).toBe(0.8);
    expect(readConfig({ OMISELL_BUDGET_SHARE: "0.5" }).omisell.budgetShare).toBe(0.5);
    expect(readConfig({ OMISELL_BUDGET_SHARE: "1" }).omisell.budgetShare).toBe(1);
  });

  it.each(["0", "0.05", "1.5", "half"])("refuses %s, naming the variable", (value) => {
    expect(() => readConfig({ OMISELL_BUDGET_SHARE: value }).omisell).toThrow(/OMISELL_BUDGET_SHARE/);
  });

  it("stops our calls at the share once Omisell's header shows another tool's calls", async () => {
    const config = configWith({ OMISELL_BUDGET_SHARE: "0.5" });
    // Omisell counts 4 calls after our first: the seller's other tool made 3.
    const calls = stubOmisell(() =>
      orderAnswer("OM1", {}, { headers: { "x-omisell-api-call-limit": `${calls.length + 3}/10` } }),
    );
    const connection = omisellConnection(env, config, null, "push");

    expect((await requestOmisell(connection, "/x")).ok).toBe(true);
    expect((await requestOmisell(connection, "/x")).ok).toBe(true);
    const third = await requestOmisell(connection, "/x");

    // 5 of 10 are ours to fill: 4 (theirs and ours) + our second = 5, then no more.
    expect(calls).toHaveLength(2);
    expect(third.ok || third.reason).toMatchObject({ kind: "throttled" });
    expect(await peekLimiter(env, config, null)).toMatchObject({ capacity: 10, ceiling: 5 });
  });
});
