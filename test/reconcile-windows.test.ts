/**
 * Window planning and the missed-change rule, pure, on their boundaries: the 10-minute overlap,
 * the 2-minute settle lag, shared (inclusive) bounds, a clock behind the checkpoint, the first
 * run, catch-up after days, and the one-minute clock skew of the rule.
 */
import { describe, expect, it } from "vitest";
import { isMissedChange, missedChanges, reconcileDedupeKey } from "../src/reconcile/missed";
import {
  checkManualRange,
  checkRangeEnd,
  FIRST_RUN_LOOKBACK_MS,
  isReconcileDue,
  MANUAL_CLOCK_SKEW_MS,
  MAX_WINDOWS_PER_RUN,
  planCronWindows,
  splitIntoWindows,
} from "../src/reconcile/windows";
import { DAY, HOUR, MINUTE } from "./helpers/time";

const NOW = Date.UTC(2026, 10, 30, 12, 0, 0);

describe("cron windows", () => {
  it("lists from 10 minutes before the checkpoint to 2 minutes before now", () => {
    expect(planCronWindows(NOW - 15 * MINUTE, NOW)).toEqual([{ fromMs: NOW - 25 * MINUTE, toMs: NOW - 2 * MINUTE }]);
  });

  it("cuts a longer span into windows of one hour that share their bounds", () => {
    const windows = planCronWindows(NOW - 2 * HOUR, NOW);
    expect(windows).toEqual([
      { fromMs: NOW - 2 * HOUR - 10 * MINUTE, toMs: NOW - HOUR - 10 * MINUTE },
      { fromMs: NOW - HOUR - 10 * MINUTE, toMs: NOW - 10 * MINUTE },
      { fromMs: NOW - 10 * MINUTE, toMs: NOW - 2 * MINUTE },
    ]);
  });

  it("plans nothing when the clock is behind the checkpoint", () => {
    expect(planCronWindows(NOW + 5 * MINUTE, NOW)).toEqual([]);
  });

  it("plans nothing while the settled end is not past the checkpoint", () => {
    expect(planCronWindows(NOW - 2 * MINUTE, NOW)).toEqual([]);
    expect(planCronWindows(NOW - 2 * MINUTE - 1, NOW)).toHaveLength(1);
  });

  it("starts a day back on the first run, a bounded number of windows at a time", () => {
    const windows = planCronWindows(null, NOW);
    expect(windows[0]?.fromMs).toBe(NOW - FIRST_RUN_LOOKBACK_MS);
    expect(windows).toHaveLength(MAX_WINDOWS_PER_RUN);
  });

  it("catches up after days of outage oldest first, then resumes from where the last run stopped", () => {
    const checkpoint = NOW - 3 * DAY;
    const first = planCronWindows(checkpoint, NOW);
    expect(first).toHaveLength(MAX_WINDOWS_PER_RUN);
    expect(first[0]?.fromMs).toBe(checkpoint - 10 * MINUTE);
    const reached = first.at(-1)?.toMs ?? 0;
    expect(reached).toBe(checkpoint - 10 * MINUTE + MAX_WINDOWS_PER_RUN * HOUR);

    const next = planCronWindows(reached, NOW + 15 * MINUTE);
    expect(next[0]?.fromMs).toBe(reached - 10 * MINUTE);
  });

  it("splits an exact number of hours into whole windows and nothing for an empty span", () => {
    expect(splitIntoWindows(0, 3 * HOUR)).toHaveLength(3);
    expect(splitIntoWindows(0, 3 * HOUR + 1).at(-1)).toEqual({ fromMs: 3 * HOUR, toMs: 3 * HOUR + 1 });
    expect(splitIntoWindows(HOUR, HOUR)).toEqual([]);
  });
});

describe("when the cron reconciles", () => {
  it("is due on the first run and once per period after the last cron run", () => {
    expect(isReconcileDue(null, NOW, 15 * MINUTE)).toBe(true);
    expect(isReconcileDue(NOW - 14 * MINUTE, NOW, 15 * MINUTE)).toBe(false);
    expect(isReconcileDue(NOW - 15 * MINUTE + 20_000, NOW, 15 * MINUTE)).toBe(true);
    expect(isReconcileDue(NOW - 15 * MINUTE, NOW, 15 * MINUTE)).toBe(true);
  });

  it("is never due when reconciliation is off", () => {
    expect(isReconcileDue(null, NOW, 0)).toBe(false);
  });
});

describe("a manual range", () => {
  it("may span 15 days at most, and must end after it starts", () => {
    expect(checkManualRange(NOW - 15 * DAY, NOW, NOW)).toBeNull();
    expect(checkManualRange(NOW - 15 * DAY - 1, NOW, NOW)).toMatch(/15 days/);
    expect(checkManualRange(NOW, NOW, NOW)).toMatch(/after/);
    expect(checkManualRange(Number.NaN, NOW, NOW)).toMatch(/times/);
  });

  it("may end at most a minute past the clock, for a caller whose clock runs a little ahead", () => {
    expect(checkRangeEnd(NOW + MANUAL_CLOCK_SKEW_MS, NOW)).toBeNull();
    expect(checkRangeEnd(NOW + MANUAL_CLOCK_SKEW_MS + 1, NOW)).toMatch(/future/);
    expect(checkManualRange(NOW - DAY, NOW + 2 * MANUAL_CLOCK_SKEW_MS, NOW)).toMatch(/^to must not be in the future/);
    expect(MANUAL_CLOCK_SKEW_MS).toBe(60_000);
  });
});

describe("the missed-change rule", () => {
  const updated = NOW / 1000;

  it("counts a change with no push about the order as missed", () => {
    expect(isMissedChange(updated, undefined)).toBe(true);
  });

  it("counts a push received up to a minute before the change as telling us about it", () => {
    expect(isMissedChange(updated, NOW - MINUTE)).toBe(false);
    expect(isMissedChange(updated, NOW + 5 * MINUTE)).toBe(false);
  });

  it("counts a push received more than a minute before the change as not telling us", () => {
    expect(isMissedChange(updated, NOW - MINUTE - 1)).toBe(true);
  });

  it("keeps only the missed changes of a page, and keys each by order and updated_time", () => {
    const change = (n: string) => ({ omisellOrderNumber: n, updatedTime: updated, header: {} });
    const latest = new Map([
      ["A", NOW],
      ["B", NOW - 2 * MINUTE],
    ]);
    const missed = missedChanges([change("A"), change("B"), change("C")], latest);
    expect(missed.map((c) => c.omisellOrderNumber)).toEqual(["B", "C"]);
    expect(reconcileDedupeKey(change("B"))).toBe(`reconcile:B:${updated}`);
  });
});
