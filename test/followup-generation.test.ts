/**
 * Generations: a replay reopens an event as its next generation, and nothing an earlier follow-up
 * of it does afterwards (a late 404, a dead letter, a success) can settle it; the replay's own
 * message still fetches the order.
 */
import { createMessageBatch } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { FollowupMessage } from "../src/followup/message";
import { replayEvent } from "../src/followup/replay";
import { deliver, insertReceivedEvent, newOrderNumber, orderAnswer, readEvent, stubOmisell } from "./helpers/followup";

afterEach(() => {
  vi.restoreAllMocks();
});

/** Replays the event with the enqueue recorded, not sent; returns the replay's message body. */
async function replayRecorded(id: string): Promise<FollowupMessage> {
  const send = vi.spyOn(env.FOLLOWUPS, "send").mockResolvedValue(undefined as never);
  await replayEvent(env, id);
  const body = send.mock.calls.at(-1)?.[0] as FollowupMessage;
  send.mockRestore();
  return body;
}

async function deadLetter(body: FollowupMessage) {
  const batch = createMessageBatch<FollowupMessage>("omisell-followups-dlq", [
    { id: "dlq-0", timestamp: new Date(), attempts: 9, body },
  ]);
  const { default: worker } = await import("../src/index");
  await worker.queue(batch, env);
}

describe("a replay and an older attempt of the same event", () => {
  it("a late 404 of the older attempt does not fail the replayed event", async () => {
    const orderNumber = newOrderNumber();
    const id = await insertReceivedEvent({ order_number: orderNumber, status: "failed" });
    const replay = await replayRecorded(id);
    const calls = stubOmisell(() => new Response("gone", { status: 404 }));

    await deliver([{ eventId: id }]);

    expect(calls).toHaveLength(0);
    expect(await readEvent(id)).toMatchObject({ status: "received", generation: 1 });
    expect(replay.generation).toBe(1);
  });

  it("a dead letter of the older attempt does not fail the replayed event", async () => {
    const id = await insertReceivedEvent({ status: "failed" });
    await replayRecorded(id);

    await deadLetter({ eventId: id, reason: "push" });

    expect(await readEvent(id)).toMatchObject({ status: "received", generation: 1 });
  });

  it("the replay's own message then fetches the order and settles it", async () => {
    const orderNumber = newOrderNumber();
    const id = await insertReceivedEvent({ order_number: orderNumber, status: "failed" });
    const replay = await replayRecorded(id);
    await deliver([{ eventId: id }]);
    await deadLetter({ eventId: id, reason: "push" });
    const calls = stubOmisell(() => orderAnswer(orderNumber));

    const result = await deliver([{ eventId: id, reason: "replay", generation: replay.generation }]);

    expect(result.acked).toEqual(["msg-0"]);
    expect(calls).toHaveLength(1);
    expect((await readEvent(id))?.status).toBe("processed");
  });

  it("a dead letter of the current generation still fails the event once the replay's retries are spent", async () => {
    const id = await insertReceivedEvent({ status: "failed" });
    const replay = await replayRecorded(id);
    await env.DB.prepare("UPDATE events SET attempts = 8 WHERE id = ?1").bind(id).run();

    await deadLetter(replay);

    expect((await readEvent(id))?.status).toBe("failed");
  });

  it("an older attempt's message is acknowledged while its answer is in flight, and its write is refused", async () => {
    const orderNumber = newOrderNumber();
    const id = await insertReceivedEvent({ order_number: orderNumber });
    // The old attempt's fetch is answered only after the replay has reopened the event.
    stubOmisell(async () => {
      await replayRecorded(id);
      return new Response("gone", { status: 404 });
    });

    await deliver([{ eventId: id }]);

    expect(await readEvent(id)).toMatchObject({ status: "received", generation: 1, attempts: 0 });
  });
});

describe("a replay whose enqueue fails", () => {
  it("answers 202 scheduled with a note, and the event waits for the sweeper", async () => {
    const id = await insertReceivedEvent({ status: "failed" });
    vi.spyOn(env.FOLLOWUPS, "send").mockRejectedValue(new Error("queue unavailable"));
    const { apiPost } = await import("./helpers/read-api");

    const res = await apiPost(`/api/events/${id}/replay`);

    expect(res.status).toBe(202);
    expect(await res.json()).toMatchObject({
      event_id: id,
      status: "scheduled",
      note: expect.stringContaining("sweeper"),
    });
    expect((await readEvent(id))?.status).toBe("received");
  });
});
