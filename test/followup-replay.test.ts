/** replayEvent: an event goes back to `received`, a "replay" message is enqueued, and the consumer finishes it. */
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import { replayEvent } from "../src/followup/replay";
import { deliver, insertReceivedEvent, newOrderNumber, orderAnswer, readEvent, stubOmisell } from "./helpers/followup";

afterEach(() => {
  vi.restoreAllMocks();
});

function spyOnEnqueue() {
  return vi.spyOn(env.FOLLOWUPS, "send").mockResolvedValue(undefined as never);
}

describe("replayEvent", () => {
  it("brings a failed event back to processed once the API answers again", async () => {
    const orderNumber = newOrderNumber();
    const id = await insertReceivedEvent({ order_number: orderNumber });
    stubOmisell(() => new Response("gone", { status: 404 }));
    await deliver([{ eventId: id }]);
    expect((await readEvent(id))?.status).toBe("failed");
    const send = spyOnEnqueue();

    const outcome = await replayEvent(env, id);

    expect(outcome).toEqual({ eventId: id, previousStatus: "failed", enqueued: true, delivery: "queued" });
    // The attempt made so far travels with the message: the replay's own budget starts after it;
    // and so does the event's new generation.
    expect(send).toHaveBeenCalledWith(
      { eventId: id, reason: "replay", attemptsBefore: 1, generation: 1 },
      { contentType: "json" },
    );
    expect(await readEvent(id)).toMatchObject({
      status: "received",
      attempts: 1,
      last_error: expect.stringContaining("404"),
    });

    vi.restoreAllMocks();
    stubOmisell(() => orderAnswer(orderNumber));
    await deliver([{ eventId: id, reason: "replay", generation: 1 }]);
    expect(await readEvent(id)).toMatchObject({ status: "processed", attempts: 2, last_error: null });
  });

  it("is idempotent: two replays, two messages, one fetch", async () => {
    const orderNumber = newOrderNumber();
    const id = await insertReceivedEvent({ order_number: orderNumber, status: "failed" });
    spyOnEnqueue();
    await replayEvent(env, id);
    await replayEvent(env, id);
    const calls = stubOmisell(() => orderAnswer(orderNumber));

    await deliver([{ eventId: id, reason: "replay", generation: 1 }]);
    await deliver([{ eventId: id, reason: "replay", generation: 2 }]);

    expect(calls).toHaveLength(1);
    expect((await readEvent(id))?.status).toBe("processed");
  });

  it("returns null for an unknown event id", async () => {
    spyOnEnqueue();
    expect(await replayEvent(env, "01ZZZZZZZZZZZZZZZZZZZZZZZZ")).toBeNull();
  });

  it("leaves an invalid event alone and enqueues nothing", async () => {
    const id = await insertReceivedEvent({ status: "invalid", category: "invalid", order_number: null });
    const send = spyOnEnqueue();

    expect(await replayEvent(env, id)).toEqual({
      eventId: id,
      previousStatus: "invalid",
      enqueued: false,
      delivery: "queued",
    });
    expect(send).not.toHaveBeenCalled();
    expect((await readEvent(id))?.status).toBe("invalid");
  });
});
