/** The consumer's decisions as pure functions: what a batch does, and what a failed fetch does to each event. */
import { describe, expect, it } from "vitest";
import type { FollowupMessage } from "../src/followup/message";
import { type Delivery, planBatch, planFailure, priorityOf, triesMade } from "../src/followup/plan";
import type { ApiFailure } from "../src/omisell/failure";
import type { FollowupEventState } from "../src/store/followup-attempts";

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

  it("skips an unknown event and one without an order number, with the reason", () => {
    const events = new Map([
      ["e1", event("e1", { category: "unknown", event: "x.y" })],
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
