/**
 * The adaptive follow-up's choice, pure: detail for all while every waiting order, and as many as
 * the last target brought, can be fetched within the freshness target at the budget's rate, else
 * the known orders' status changes from the order list; at its boundaries (exactly at the target, only new orders waiting, the bucket paused
 * by a 429, the share nearly spent).
 */
import { describe, expect, it } from "vitest";
import { type Candidate, callsWithinTarget, chooseFollowup, isListable, LIST_PATIENCE } from "../src/followup/choice";
import type { BucketView } from "../src/omisell/bucket";

const NOW = 1_800_000_000_000;
/** Omisell's 100 a minute, 80 % ours: 80 under our ceiling, 4/3 of a call a second. */
const LIMIT = { capacity: 100, windowMs: 60_000, share: 0.8 };
const TARGET = 120_000;
const empty: BucketView = { level: 0, capacity: 100, ceiling: 80, pausedUntil: 0 };

const known = (n: number): Candidate[] =>
  Array.from({ length: n }, (_, i) => ({ orderNumber: `K${i}`, known: true, listable: true }));
const fresh = (n: number): Candidate[] =>
  Array.from({ length: n }, (_, i) => ({ orderNumber: `N${i}`, known: false, listable: true }));

const choose = (
  orders: number,
  candidates: Candidate[],
  bucket: BucketView | null = empty,
  knownWaiting = orders,
  arriving = 0,
) =>
  chooseFollowup(
    { waiting: { orders, known: knownWaiting, arriving }, bucket, limit: LIMIT, targetMs: TARGET, now: NOW },
    candidates,
  );

describe("the calls the budget allows within the target", () => {
  it("are our room under the ceiling plus our share of the rate over the target", () => {
    // 80 now, and 80 a minute for two minutes.
    expect(callsWithinTarget(empty, LIMIT, TARGET, NOW)).toBe(240);
  });

  it("count a bucket nobody could read as empty", () => {
    expect(callsWithinTarget(null, LIMIT, TARGET, NOW)).toBe(240);
  });

  it("never go below zero", () => {
    expect(callsWithinTarget({ ...empty, level: 100, pausedUntil: NOW + 10 * TARGET }, LIMIT, TARGET, NOW)).toBe(0);
  });
});

describe("the choice", () => {
  it("exactly at the target: as many orders waiting as the budget fetches in time go by detail", () => {
    const choice = choose(240, known(10));
    expect(choice).toMatchObject({ mode: "detail", callsWithinTarget: 240, listCalls: 0, detailCalls: 10 });
    expect(choice.byList).toEqual([]);
  });

  it("one order past the target: the known orders' status changes go to the list", () => {
    const choice = choose(241, known(10));
    expect(choice).toMatchObject({ mode: "list", listCalls: 3, detailCalls: 0 });
    expect(choice.byList.map((c) => c.orderNumber)).toEqual(known(10).map((c) => c.orderNumber));
  });

  it("counts the orders still arriving: what waits fits the budget, but not with as many again as the last target brought", () => {
    expect(choose(140, known(10), empty, 140, 100).mode).toBe("detail");
    const choice = choose(140, known(10), empty, 140, 101);
    expect(choice).toMatchObject({ mode: "list", callsWithinTarget: 240, detailCalls: 0 });
  });

  it("a quiet queue with orders arriving at the budget's pace stays on detail", () => {
    expect(choose(0, known(2), empty, 0, 240).mode).toBe("detail");
    expect(choose(0, known(2), empty, 0, 241).mode).toBe("list");
  });

  it("one list call covers up to 100 known orders waiting", () => {
    expect(choose(1000, known(5), empty, 100).listCalls).toBe(1);
    expect(choose(1000, known(5), empty, 101).listCalls).toBe(2);
  });

  it("only new orders waiting: all by detail, however many, with no list call", () => {
    const choice = choose(5_000, fresh(40), empty, 0);
    expect(choice).toMatchObject({ mode: "detail", listCalls: 0, detailCalls: 40 });
  });

  it("new orders get their detail first while the known ones go to the list", () => {
    const batch = [...known(3), ...fresh(2), { orderNumber: "S", known: true, listable: false }];
    const choice = choose(1_000, batch, empty, 600);
    expect(choice.byList.map((c) => c.orderNumber)).toEqual(["K0", "K1", "K2"]);
    expect(choice.byDetail.map((c) => c.orderNumber)).toEqual(["N0", "N1", "S"]);
    expect(choice).toMatchObject({ mode: "list", listCalls: 6, detailCalls: 3 });
  });

  it("bucket paused by a 429 for longer than the target: nothing can be fetched in time, one order waiting is too many", () => {
    const paused = { ...empty, level: 100, pausedUntil: NOW + TARGET };
    expect(callsWithinTarget(paused, LIMIT, TARGET, NOW)).toBe(0);
    expect(choose(0, known(1), paused).mode).toBe("detail");
    expect(choose(1, known(1), paused).mode).toBe("list");
  });

  it("bucket paused for half the target: the debt of the full bucket first, then the rate for the rest", () => {
    const paused = { ...empty, level: 100, pausedUntil: NOW + TARGET / 2 };
    // −20 under our ceiling, then 80 a minute for one minute.
    expect(callsWithinTarget(paused, LIMIT, TARGET, NOW)).toBe(60);
    expect(choose(60, known(1), paused).mode).toBe("detail");
    expect(choose(61, known(1), paused).mode).toBe("list");
  });

  it("share nearly spent: half a call of room left adds nothing whole", () => {
    const nearly = { ...empty, level: 79.5 };
    expect(callsWithinTarget(nearly, LIMIT, TARGET, NOW)).toBe(160);
    expect(choose(160, known(1), nearly).mode).toBe("detail");
    expect(choose(161, known(1), nearly).mode).toBe("list");
  });

  it("share spent past its end by other tools' calls: their excess is paid back first", () => {
    const overdrawn = { ...empty, level: 95 };
    expect(callsWithinTarget(overdrawn, LIMIT, TARGET, NOW)).toBe(145);
    expect(choose(146, known(1), overdrawn).mode).toBe("list");
  });
});

describe("which waiting events the list may settle", () => {
  const event = { category: "order", generation: 0, reopened_at: null, received_at: NOW - 1_000 };

  it("a status change of the order, its first follow-up, younger than three quarters of the target", () => {
    expect(isListable(event, NOW, TARGET)).toBe(true);
    expect(isListable({ ...event, received_at: NOW - TARGET * LIST_PATIENCE + 1 }, NOW, TARGET)).toBe(true);
  });

  it("not once three quarters of the target have passed: the order's detail is fetched in time instead", () => {
    expect(isListable({ ...event, received_at: NOW - TARGET * LIST_PATIENCE }, NOW, TARGET)).toBe(false);
  });

  it("not a shipment's, a return's or an invoice's change, nor a replay", () => {
    for (const category of ["shipment", "return", "sale_invoice", "unknown"]) {
      expect(isListable({ ...event, category }, NOW, TARGET)).toBe(false);
    }
    expect(isListable({ ...event, generation: 1 }, NOW, TARGET)).toBe(false);
    expect(isListable({ ...event, reopened_at: NOW - 500 }, NOW, TARGET)).toBe(false);
  });
});
