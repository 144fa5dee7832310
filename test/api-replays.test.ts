/**
 * Bulk replay: POST /api/events/replay with list filters reopens every matching event in chunks
 * (the request does the first, the cron the rest, each while the replay has headroom), and
 * GET /api/replays/{id} shows its progress. Replay messages go at the lowest priority: with the
 * budget nearly spent, a replay waits and a push goes.
 */
import { createScheduledController } from "cloudflare:test";
import { env, exports } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import { runScheduled } from "../src/cron/scheduled";
import { REPLAY_CHUNK, REPLAY_IN_FLIGHT } from "../src/followup/bulk-replay";
import type { FollowupMessage } from "../src/followup/message";
import { deliver, insertReceivedEvent, orderAnswer, readEvent, stubOmisell } from "./helpers/followup";
import { ADMIN_TOKEN, BASE, READ_TOKEN, uniqueSeller } from "./helpers/read-api";

afterEach(() => {
  vi.restoreAllMocks();
});

function postReplay(body: unknown, token = ADMIN_TOKEN) {
  return exports.default.fetch(
    new Request(`${BASE}/api/events/replay`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: typeof body === "string" ? body : JSON.stringify(body),
    }),
  );
}

function getProgress(replayId: string) {
  return exports.default.fetch(
    new Request(`${BASE}/api/replays/${replayId}`, { headers: { authorization: `Bearer ${READ_TOKEN}` } }),
  );
}

function captureSends() {
  const sent: FollowupMessage[] = [];
  vi.spyOn(env.FOLLOWUPS, "sendBatch").mockImplementation(async (messages) => {
    for (const message of messages) sent.push(message.body as FollowupMessage);
    return undefined as never;
  });
  return sent;
}

async function failedEvents(count: number, sellerId: string): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < count; i++) ids.push(await insertReceivedEvent({ status: "failed", seller_id: sellerId }));
  return ids;
}

describe("POST /api/events/replay", () => {
  it("refuses a body without any filter with 400", async () => {
    const res = await postReplay({});
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: "invalid_request", fields: { filters: expect.any(String) } });
  });

  it("refuses an unknown filter, a bad status and a bad time with 400 naming each", async () => {
    const res = await postReplay({ status: "lost", since: "yesterday", colour: "red" });
    expect(res.status).toBe(400);
    const body = (await res.json()) as { fields: Record<string, string> };
    expect(Object.keys(body.fields).sort()).toEqual(expect.arrayContaining(["since", "status"]));
  });

  it("refuses a body that is not JSON with 400", async () => {
    const res = await postReplay("{not json");
    expect(res.status).toBe(400);
  });

  it("refuses a read token with 403", async () => {
    const res = await postReplay({ status: "failed" }, READ_TOKEN);
    expect(res.status).toBe(403);
  });

  it("answers 202 with the replay id and how many events matched, and reopens them at their next generation", async () => {
    const seller = uniqueSeller();
    const ids = await failedEvents(3, seller);
    await insertReceivedEvent({ status: "invalid", category: "invalid", seller_id: seller, order_number: null });
    const sent = captureSends();

    const res = await postReplay({ status: "failed", seller_id: seller });

    expect(res.status).toBe(202);
    const body = (await res.json()) as { replay_id: string; matched: number; status: string };
    expect(body).toMatchObject({ matched: 3, status: "queued" });
    expect(sent.map((message) => message.eventId).sort()).toEqual([...ids].sort());
    expect(sent.every((message) => message.reason === "replay" && message.generation === 1)).toBe(true);
    for (const id of ids) {
      expect(await readEvent(id)).toMatchObject({ status: "received", generation: 1, replay_id: body.replay_id });
    }
  });

  it("answers 202 scheduled when the first chunk cannot be enqueued", async () => {
    const seller = uniqueSeller();
    await failedEvents(2, seller);
    vi.spyOn(env.FOLLOWUPS, "sendBatch").mockRejectedValue(new Error("queue unavailable"));

    const res = await postReplay({ status: "failed", seller_id: seller });

    expect(res.status).toBe(202);
    expect(await res.json()).toMatchObject({ matched: 2, status: "scheduled", note: expect.any(String) });
  });
});

describe("GET /api/replays/{replay_id}", () => {
  it("shows queued and done as the replayed events settle again", async () => {
    const seller = uniqueSeller();
    const ids = await failedEvents(2, seller);
    const sent = captureSends();
    const { replay_id } = (await (await postReplay({ status: "failed", seller_id: seller })).json()) as {
      replay_id: string;
    };
    expect(await (await getProgress(replay_id)).json()).toMatchObject({
      replay_id,
      matched: 2,
      queued: 2,
      done: 0,
      filters: { status: "failed", seller_id: seller },
    });
    vi.restoreAllMocks();

    stubOmisell((call) => orderAnswer(decodeURIComponent(call.url.split("/").at(-1) ?? "")));
    await deliver(
      sent.map((message) => ({ eventId: message.eventId, reason: "replay", generation: message.generation })),
    );

    expect(await (await getProgress(replay_id)).json()).toMatchObject({ queued: 2, done: 2, finished: true });
    for (const id of ids) expect((await readEvent(id))?.status).toBe("processed");
  });

  it("answers 404 for an unknown replay and 400 for a malformed id", async () => {
    expect((await getProgress("01ZZZZZZZZZZZZZZZZZZZZZZZZ")).status).toBe(404);
    expect((await getProgress("nope")).status).toBe(400);
  });
});

describe("a large replay", () => {
  it("is enqueued in chunks, the next only while the replay has headroom", async () => {
    const seller = uniqueSeller();
    const total = REPLAY_IN_FLIGHT + 20;
    await failedEvents(total, seller);
    const sent = captureSends();
    const { replay_id } = (await (await postReplay({ status: "failed", seller_id: seller })).json()) as {
      replay_id: string;
    };
    expect(sent).toHaveLength(REPLAY_CHUNK);

    const cron = () => runScheduled(createScheduledController({ scheduledTime: Date.now(), cron: "* * * * *" }), env);
    await cron();
    // Up to REPLAY_IN_FLIGHT waiting, then it stops until some settle.
    const replaySends = () => sent.filter((message) => message.reason === "replay");
    expect(replaySends()).toHaveLength(REPLAY_IN_FLIGHT);
    await cron();
    expect(replaySends()).toHaveLength(REPLAY_IN_FLIGHT);

    // The first chunk settles: room for the rest.
    stubOmisell((call) => orderAnswer(decodeURIComponent(call.url.split("/").at(-1) ?? "")));
    const first = replaySends().slice(0, REPLAY_CHUNK);
    await deliver(
      first.map((message) => ({ eventId: message.eventId, reason: "replay", generation: message.generation })),
    );
    await cron();

    expect(new Set(replaySends().map((message) => message.eventId)).size).toBe(total);
    expect(await (await getProgress(replay_id)).json()).toMatchObject({
      matched: total,
      queued: total,
      finished: true,
    });
  });
});

describe("priorities", () => {
  it("with the budget nearly spent, a replay's message waits while a new push's goes", async () => {
    // The whole bucket ours (OMISELL_BUDGET_SHARE 1): two calls, one for each message if both could go.
    const budget = {
      OMISELL_ACCOUNT_KEY: `budget-${crypto.randomUUID()}`,
      OMISELL_RATE_LIMIT: "2/60",
      OMISELL_BUDGET_SHARE: "1",
    };
    const calls = stubOmisell((call) => orderAnswer(decodeURIComponent(call.url.split("/").at(-1) ?? "")));
    await deliver([{ eventId: await insertReceivedEvent() }], "omisell-followups", budget);
    const replayed = await insertReceivedEvent({ status: "failed" });
    const sent = captureSends();
    const { replayEvent } = await import("../src/followup/replay");
    vi.spyOn(env.FOLLOWUPS, "send").mockResolvedValue(undefined as never);
    await replayEvent(env, replayed);
    const pushed = await insertReceivedEvent();

    await deliver(
      [
        { eventId: replayed, reason: "replay", generation: 1 },
        { eventId: pushed, reason: "push" },
      ],
      "omisell-followups",
      budget,
    );

    expect(calls).toHaveLength(2);
    expect((await readEvent(pushed))?.status).toBe("processed");
    expect((await readEvent(replayed))?.status).toBe("received");
    expect(sent.map((message) => message.eventId)).toEqual([replayed]);
  });
});
