/** The consumer's decisions as pure functions: what a batch does, and what a failed fetch does to each event. */
import { describe, expect, it } from "vitest";
import type { FollowupMessage } from "../src/followup/message";
import { type Delivery, fetchDueAt, planBatch, planFailure, priorityOf, triesMade } from "../src/followup/plan";
import type { ApiFailure } from "../src/omisell/failure";
import type { FollowupEventState, OrderFollowupState } from "../src/store/followup-batch";

type Msg = { id: string; body?: Partial<FollowupMessage> | null };

function event(id: string, overrides: Partial<FollowupEventState> = {}): FollowupEventState {
  return {
    id,
    event: "order.shipped",
    category: "order",
    status: "received",
    order_number: `OM-${id}`,
    seller_id: "1001",
    attempts: 0,
    received_at: 1_000,
    generation: 0,
    reopened_at: null,
    ...overrides,
  };
}

function message(id: string, eventId: string, reason: FollowupMessage["reason"] = "push"): Msg {
  return { id, body: { eventId, reason } };
}

const rules = { maxRetries: 3, backoff: { baseSeconds: 10, maxSeconds: 3600 } };
const half = () => 0.5;

describe("planBatch", () => {
  it("acknowledges messages whose event is gone, malformed or no longer received", () => {
    const events = new Map([["e2", event("e2", { status: "processed" })]]);
    const messages = [message("m1", "missing"), { id: "m2", body: null }, message("m3", "e2")];
    const plan = planBatch(messages, events);
    expect(plan.acks.map((m) => m.id)).toEqual(["m1", "m2", "m3"]);
    expect(plan.groups).toEqual([]);
  });

  it("skips an invalid event and one without an order number, with the reason", () => {
    const events = new Map([
      ["e1", event("e1", { category: "invalid", event: "x.y" })],
      ["e2", event("e2", { order_number: null })],
    ]);
    const plan = planBatch([message("m1", "e1"), message("m2", "e2")], events);
    expect(plan.skips.map((skip) => [skip.message.id, skip.event.id])).toEqual([
      ["m1", "e1"],
      ["m2", "e2"],
    ]);
    expect(plan.skips[1]?.reason).toContain("omisell_order_number");
  });

  it("groups the events of one order into one fetch, with the seller of the first that has one", () => {
    const events = new Map([
      ["e1", event("e1", { order_number: "OM1", seller_id: null })],
      ["e2", event("e2", { order_number: "OM1", seller_id: "7" })],
      ["e3", event("e3", { order_number: "OM2" })],
    ]);
    const plan = planBatch([message("m1", "e1"), message("m2", "e2"), message("m3", "e3")], events);
    expect(plan.groups.map((group) => [group.orderNumber, group.sellerId, group.deliveries.length])).toEqual([
      ["OM1", "7", 2],
      ["OM2", "1001", 1],
    ]);
  });

  it("fetches an order at the most urgent priority of its messages", () => {
    const events = new Map([
      ["e1", event("e1", { order_number: "OM1" })],
      ["e2", event("e2", { order_number: "OM1" })],
      ["e3", event("e3", { order_number: "OM2" })],
    ]);
    const plan = planBatch(
      [message("m1", "e1", "replay"), message("m2", "e2", "sweep"), message("m3", "e3", "replay")],
      events,
    );
    expect(plan.groups.map((group) => group.priority)).toEqual(["push", "replay"]);
  });
});

describe("planBatch: generations", () => {
  it("acknowledges a message sent for an earlier generation of the event, unread", () => {
    const events = new Map([["e1", event("e1", { generation: 2 })]]);
    const stale = { id: "m1", body: { eventId: "e1", reason: "push" as const, generation: 1 } };
    const current = { id: "m2", body: { eventId: "e1", reason: "replay" as const, generation: 2 } };
    const plan = planBatch([stale, current], events);
    expect(plan.acks.map((m) => m.id)).toEqual(["m1"]);
    expect(plan.groups[0]?.deliveries.map((d) => d.message.id)).toEqual(["m2"]);
  });

  it("reads a message without a generation as the first one", () => {
    const events = new Map([["e1", event("e1", { generation: 1 })]]);
    expect(planBatch([message("m1", "e1")], events).acks).toHaveLength(1);
  });
});

describe("planBatch: fetch coalescing and the quiet window", () => {
  const QUIET = 5_000;
  const context = (now: number, orders: Record<string, OrderFollowupState> = {}) => ({
    now,
    quietMs: QUIET,
    orders: new Map(Object.entries(orders)),
  });

  it("settles without a fetch an event received before the stored snapshot's fetch started", () => {
    const events = new Map([["e1", event("e1", { order_number: "OM1", received_at: 1_000 })]]);
    const plan = planBatch(
      [message("m1", "e1")],
      events,
      context(60_000, { OM1: { lastReceivedAt: 1_000, fetchedAt: 1_000 } }),
    );
    expect(plan.covered.map((d) => d.event.id)).toEqual(["e1"]);
    expect(plan.groups).toEqual([]);
  });

  it("fetches for a replayed event unless the snapshot's fetch started after the replay reopened it", () => {
    const replayed = event("e1", { order_number: "OM1", received_at: 1_000, generation: 1, reopened_at: 50_000 });
    const events = new Map([["e1", replayed]]);
    const msg = { id: "m1", body: { eventId: "e1", reason: "replay" as const, generation: 1 } };
    const before = planBatch([msg], events, context(60_000, { OM1: { lastReceivedAt: 1_000, fetchedAt: 2_000 } }));
    expect(before.groups).toHaveLength(1);
    const after = planBatch([msg], events, context(60_000, { OM1: { lastReceivedAt: 1_000, fetchedAt: 50_000 } }));
    expect(after.covered).toHaveLength(1);
  });

  it("fetches for an event received after the stored snapshot's fetch started", () => {
    const events = new Map([["e1", event("e1", { order_number: "OM1", received_at: 2_000 })]]);
    const plan = planBatch(
      [message("m1", "e1")],
      events,
      context(60_000, { OM1: { lastReceivedAt: 2_000, fetchedAt: 1_999 } }),
    );
    expect(plan.covered).toEqual([]);
    expect(plan.groups).toHaveLength(1);
  });

  it("sends the events of an order that is not quiet back for the rest of the window", () => {
    const events = new Map([
      ["e1", event("e1", { order_number: "OM1", received_at: 10_000 })],
      ["e2", event("e2", { order_number: "OM1", received_at: 11_000 })],
    ]);
    const plan = planBatch([message("m1", "e1"), message("m2", "e2")], events, context(12_000));
    expect(plan.groups).toEqual([]);
    // Quiet at 11 000 + 5 000: 4 s from now.
    expect(plan.quietWaits.map((wait) => [wait.delivery.event.id, wait.delaySeconds])).toEqual([
      ["e1", 4],
      ["e2", 4],
    ]);
  });

  it("counts an event of the order outside the batch as activity", () => {
    const events = new Map([["e1", event("e1", { order_number: "OM1", received_at: 10_000 })]]);
    const plan = planBatch(
      [message("m1", "e1")],
      events,
      context(15_500, { OM1: { lastReceivedAt: 14_000, fetchedAt: null } }),
    );
    expect(plan.quietWaits.map((wait) => wait.delaySeconds)).toEqual([4]);
  });

  it("fetches an order once it has been quiet for the window", () => {
    const events = new Map([["e1", event("e1", { order_number: "OM1", received_at: 10_000 })]]);
    const plan = planBatch([message("m1", "e1")], events, context(15_000));
    expect(plan.groups.map((group) => group.orderNumber)).toEqual(["OM1"]);
  });

  it("fetches a busy order once its oldest waiting event has waited two windows", () => {
    const events = new Map([["e1", event("e1", { order_number: "OM1", received_at: 10_000 })]]);
    const busy = { OM1: { lastReceivedAt: 19_900, fetchedAt: null } };
    expect(planBatch([message("m1", "e1")], events, context(19_999, busy)).groups).toEqual([]);
    expect(planBatch([message("m1", "e1")], events, context(20_000, busy)).groups).toHaveLength(1);
  });

  it("fetches a busy order at most once per window", () => {
    const waiting = [{ message: message("m1", "e1"), event: event("e1", { received_at: 100_000 }) }];
    // Quiet since long, but the last fetch started 1 s ago: due one window after it.
    expect(fetchDueAt(waiting, { lastReceivedAt: 100_000, fetchedAt: 99_000 }, QUIET)).toBe(105_000);
    expect(fetchDueAt(waiting, { lastReceivedAt: 100_000, fetchedAt: 50_000 }, QUIET)).toBe(105_000);
    expect(fetchDueAt(waiting, { lastReceivedAt: 100_000, fetchedAt: 103_000 }, QUIET)).toBe(108_000);
  });

  it("fetches at once with a quiet window of 0", () => {
    const events = new Map([["e1", event("e1", { received_at: 10_000 })]]);
    const plan = planBatch([message("m1", "e1")], events, { now: 10_000, quietMs: 0, orders: new Map() });
    expect(plan.groups).toHaveLength(1);
  });
});

describe("priorityOf", () => {
  it("maps push and sweep to push, reconcile to reconcile, replay to replay, anything else to push", () => {
    expect(["push", "sweep", "reconcile", "replay", "odd", undefined].map(priorityOf)).toEqual([
      "push",
      "push",
      "reconcile",
      "replay",
      "push",
      "push",
    ]);
  });
});

function delivery(attempts: number, attemptsBefore?: number): Delivery<Msg> {
  return {
    message: { id: `m${attempts}`, body: { eventId: "e", reason: "push", attemptsBefore } },
    event: event("e", { attempts }),
  };
}

const retryable: ApiFailure = { kind: "retryable", error: "HTTP 503" };

describe("planFailure", () => {
  it("retries a retryable failure with the backoff of the try that failed", () => {
    const plan = planFailure(retryable, [delivery(2)], rules, half);
    // try 3: ceiling 40 s, half of the jitter -> 30 s
    expect(plan.retry.map((retry) => retry.delaySeconds)).toEqual([30]);
    expect(plan.fail).toEqual([]);
  });

  it("fails the event whose try was the last of 1 + maxRetries", () => {
    const plan = planFailure(retryable, [delivery(2), delivery(3)], rules, half);
    expect(plan.fail.map((d) => d.event.attempts)).toEqual([3]);
    expect(plan.retry.map((r) => r.delivery.event.attempts)).toEqual([2]);
  });

  it("fails every event at once after a permanent failure", () => {
    const plan = planFailure({ kind: "permanent", error: "HTTP 404" }, [delivery(0), delivery(1)], rules, half);
    expect(plan.fail).toHaveLength(2);
  });

  it("makes a throttled failure wait, however many tries were made, for what was asked", () => {
    const plan = planFailure(
      { kind: "throttled", error: "HTTP 429", retryAfterSeconds: 40 },
      [delivery(0), delivery(3), delivery(99)],
      rules,
      () => 0,
    );
    expect(plan.fail).toEqual([]);
    expect(plan.retry).toEqual([]);
    expect(plan.wait.map((wait) => wait.delaySeconds)).toEqual([40, 40, 40]);
  });

  it("counts a replay's tries from the attempts made before it", () => {
    expect(triesMade(delivery(5, 4))).toBe(1);
    expect(triesMade(delivery(5))).toBe(5);
    const plan = planFailure(retryable, [delivery(5, 4)], rules, half);
    expect(plan.retry).toHaveLength(1);
  });
});
