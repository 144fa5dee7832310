/**
 * Throttling is not failure: a follow-up that waits for Omisell's budget (the rate limiter says
 * wait, or Omisell answers 429) uses no attempt, never ends `failed`, and comes back later as a
 * fresh message, so the queue's own delivery count never sends it to the dead-letter queue.
 */
import { afterEach, describe, expect, it, vi } from "vitest";
import type { FollowupMessage } from "../src/followup/message";
import {
  deliver,
  insertReceivedEvent,
  newOrderNumber,
  orderAnswer,
  readEvent,
  recordingFollowupQueue,
  stubOmisell,
} from "./helpers/followup";

afterEach(() => {
  vi.restoreAllMocks();
});

/**
 * Its own account key, so its own rate limiter: a pause here does not leak into other tests. The
 * whole bucket is ours (OMISELL_BUDGET_SHARE 1): these tests are about pauses and priorities, the
 * share has tests of its own (omisell-budget-share.test.ts).
 */
function ownBudget(rate = "100/60") {
  return {
    OMISELL_ACCOUNT_KEY: `throttle-${crypto.randomUUID()}`,
    OMISELL_RATE_LIMIT: rate,
    OMISELL_BUDGET_SHARE: "1",
  };
}

/** What the consumer sends back, recorded through its `queue` step instead of sent. */
function captureResends() {
  const { sent: resent, queue } = recordingFollowupQueue();
  return { resent, queue };
}

describe("Omisell answers 429", () => {
  it("records no attempt, fails nothing, and sends the message again after Retry-After", async () => {
    const id = await insertReceivedEvent({ attempts: 2 });
    stubOmisell(() => new Response("slow down", { status: 429, headers: { "retry-after": "120" } }));
    const { resent, queue } = captureResends();

    const before = Date.now();
    const result = await deliver([{ eventId: id }], "omisell-followups", ownBudget(), { queue });

    expect(result.acked).toEqual(["msg-0"]);
    expect(result.retried).toEqual([]);
    expect(resent).toHaveLength(1);
    expect(resent[0]?.body).toEqual({ eventId: id, reason: "push" });
    expect(resent[0]?.delaySeconds).toBeGreaterThanOrEqual(120);
    expect(resent[0]?.delaySeconds).toBeLessThanOrEqual(150);
    const event = await readEvent(id);
    expect(event).toMatchObject({ status: "received", attempts: 2, last_error: null });
    // The sweeper leaves it alone until the wait is over.
    expect(event?.next_attempt_at).toBeGreaterThanOrEqual(before + 120_000);
  });

  it("never fails an event on its last try because Omisell was busy", async () => {
    const id = await insertReceivedEvent({ attempts: 8 });
    stubOmisell(() => Response.json({ data: { retry_after: 20 }, error: true, error_code: 429 }, { status: 429 }));
    const { resent, queue } = captureResends();

    await deliver([{ eventId: id, attempts: 9 }], "omisell-followups", ownBudget(), { queue });

    expect(await readEvent(id)).toMatchObject({ status: "received", attempts: 8 });
    expect(resent[0]?.delaySeconds).toBeGreaterThanOrEqual(20);
  });

  it("brings the message back later, and it is followed up once Omisell answers", async () => {
    const orderNumber = newOrderNumber();
    const id = await insertReceivedEvent({ order_number: orderNumber });
    const budget = ownBudget();
    let busy = true;
    stubOmisell(() =>
      busy ? new Response("", { status: 429, headers: { "retry-after": "1" } }) : orderAnswer(orderNumber),
    );
    const { resent, queue } = captureResends();
    await deliver([{ eventId: id }], "omisell-followups", budget, { queue });

    busy = false;
    await new Promise((resolve) => setTimeout(resolve, 1_100)); // the 1 s pause is over
    const back = resent[0]?.body as FollowupMessage;
    const result = await deliver([back], "omisell-followups", budget, { queue });

    expect(result.acked).toEqual(["msg-0"]);
    expect(await readEvent(id)).toMatchObject({ status: "processed", attempts: 1 });
  });

  it("acknowledges the message, never retries it, and leaves the event due for the sweeper when the fresh one cannot be sent", async () => {
    const id = await insertReceivedEvent();
    stubOmisell(() => new Response("", { status: 429, headers: { "retry-after": "40" } }));
    const { queue } = recordingFollowupQueue({ failing: true });

    const before = Date.now();
    const result = await deliver([{ eventId: id }], "omisell-followups", ownBudget(), { queue });

    // A retry would count toward max_retries: a busy spell could dead-letter it and fail the event.
    expect(result.retried).toEqual([]);
    expect(result.acked).toEqual(["msg-0"]);
    const event = await readEvent(id);
    expect(event).toMatchObject({ status: "received", attempts: 0 });
    // The sweeper sends it again once the wait is over.
    expect(event?.next_attempt_at).toBeGreaterThanOrEqual(before + 40_000);
  });
});

describe("the rate limiter says wait", () => {
  it("does not call Omisell, records no attempt, and sends the message again after the wait", async () => {
    const budget = ownBudget("1/60");
    const first = newOrderNumber();
    const second = newOrderNumber();
    const calls = stubOmisell((call) => orderAnswer(decodeURIComponent(call.url.split("/").at(-1) ?? "")));
    const { resent, queue } = captureResends();
    await deliver([{ eventId: await insertReceivedEvent({ order_number: first }) }], "omisell-followups", budget, {
      queue,
    });

    const id = await insertReceivedEvent({ order_number: second });
    const result = await deliver([{ eventId: id }], "omisell-followups", budget, { queue });

    expect(calls).toHaveLength(1);
    expect(result.acked).toEqual(["msg-0"]);
    expect(await readEvent(id)).toMatchObject({ status: "received", attempts: 0 });
    // One call drains in 60 s at 1/60.
    expect(resent[0]?.delaySeconds).toBeGreaterThanOrEqual(59);
    expect(resent[0]?.delaySeconds).toBeLessThanOrEqual(75);
  });

  it("holds a replay back while a new push still goes out", async () => {
    const budget = ownBudget("2/60");
    const calls = stubOmisell((call) => orderAnswer(decodeURIComponent(call.url.split("/").at(-1) ?? "")));
    const { resent, queue } = captureResends();
    await deliver([{ eventId: await insertReceivedEvent() }], "omisell-followups", budget, { queue });

    const replayed = await insertReceivedEvent();
    await deliver([{ eventId: replayed, reason: "replay" }], "omisell-followups", budget, { queue });
    const pushed = await insertReceivedEvent();
    await deliver([{ eventId: pushed }], "omisell-followups", budget, { queue });

    expect(calls).toHaveLength(2);
    expect(resent.map((message) => message.body)).toEqual([{ eventId: replayed, reason: "replay" }]);
    expect((await readEvent(replayed))?.status).toBe("received");
    expect((await readEvent(pushed))?.status).toBe("processed");
  });

  it("spreads the throttled orders of one batch over the bucket's next slots", async () => {
    const budget = ownBudget("1/60");
    stubOmisell((call) => orderAnswer(decodeURIComponent(call.url.split("/").at(-1) ?? "")));
    await deliver([{ eventId: await insertReceivedEvent() }], "omisell-followups", budget);
    const { resent, queue } = captureResends();

    const ids = [await insertReceivedEvent(), await insertReceivedEvent(), await insertReceivedEvent()];
    await deliver(
      ids.map((eventId) => ({ eventId })),
      "omisell-followups",
      budget,
      { queue },
    );

    // One slot every 60 s: the n-th order comes back n slots after the first (plus its jitter).
    const delays = resent.map((message) => message.delaySeconds ?? 0).sort((a, b) => a - b);
    expect(delays).toHaveLength(3);
    expect((delays[1] ?? 0) - (delays[0] ?? 0)).toBeGreaterThanOrEqual(45);
    expect((delays[2] ?? 0) - (delays[1] ?? 0)).toBeGreaterThanOrEqual(45);
  });
});
