/**
 * A bulk replay's chunk: the reopen of its events and the move of the replay's cursor are one
 * transaction, so a failure between them can neither leave events reopened behind an unmoved
 * cursor (reopened again by the next run) nor move the cursor over events left as they were.
 */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { continueReplays, startReplay } from "../src/followup/bulk-replay";
import type { FollowupMessage } from "../src/followup/message";
import { getReplay } from "../src/store/replays";
import { insertReceivedEvent, readEvent } from "./helpers/followup";
import { uniqueSeller } from "./helpers/read-api";

/** The test database, with every statement matching `pattern` pointed at a table that does not exist. */
function dbFailingOn(pattern: RegExp): D1Database {
  return new Proxy(env.DB, {
    get(target, prop) {
      if (prop === "prepare") return (sql: string) => target.prepare(sql.replace(pattern, "$&_missing"));
      const value = Reflect.get(target, prop);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}

/** A FOLLOWUPS queue that records the replay's messages instead of sending them. */
function recordingQueue() {
  const sent: FollowupMessage[] = [];
  const queue = {
    async sendBatch(messages: Iterable<MessageSendRequest<FollowupMessage>>) {
      for (const message of messages) sent.push(message.body);
    },
  } as unknown as Queue<FollowupMessage>;
  return { sent, queue };
}

async function failedEvents(count: number, sellerId: string): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < count; i++) ids.push(await insertReceivedEvent({ status: "failed", seller_id: sellerId }));
  return ids;
}

describe("a bulk-replay chunk", () => {
  it("whose cursor cannot move reopens nothing, and the next run reopens each event once", async () => {
    const seller = uniqueSeller();
    const ids = await failedEvents(3, seller);
    const { sent, queue } = recordingQueue();
    const now = Date.now();

    const started = await startReplay(
      { ...env, DB: dbFailingOn(/UPDATE replays/), FOLLOWUPS: queue },
      { seller_id: seller },
      now,
    );

    expect(started.status).toBe("scheduled");
    for (const id of ids) expect(await readEvent(id)).toMatchObject({ status: "failed", generation: 0 });
    expect(await getReplay(env.DB, started.replayId)).toMatchObject({ cursor: null, queued: 0, finished_at: null });
    expect(sent).toEqual([]);

    await continueReplays({ ...env, FOLLOWUPS: queue }, now + 1);

    for (const id of ids) expect(await readEvent(id)).toMatchObject({ status: "received", generation: 1 });
    expect(await getReplay(env.DB, started.replayId)).toMatchObject({ queued: 3, cursor: ids.toSorted().at(-1) });
    expect(sent.map((message) => message.eventId).sort()).toEqual(ids.toSorted());
  });

  it("whose reopen fails leaves the cursor where it was", async () => {
    const seller = uniqueSeller();
    const ids = await failedEvents(2, seller);
    const { queue } = recordingQueue();

    const started = await startReplay(
      { ...env, DB: dbFailingOn(/UPDATE events/), FOLLOWUPS: queue },
      { seller_id: seller },
      Date.now(),
    );

    expect(started.status).toBe("scheduled");
    expect(await getReplay(env.DB, started.replayId)).toMatchObject({ cursor: null, queued: 0, finished_at: null });
    for (const id of ids) expect(await readEvent(id)).toMatchObject({ status: "failed", generation: 0 });
  });

  it("moves the cursor and counts the events it reopened, and a short chunk ends the walk", async () => {
    const seller = uniqueSeller();
    const ids = await failedEvents(2, seller);
    const { sent, queue } = recordingQueue();

    const started = await startReplay({ ...env, FOLLOWUPS: queue }, { seller_id: seller }, Date.now());

    expect(started).toMatchObject({ status: "queued", matched: 2 });
    const replay = await getReplay(env.DB, started.replayId);
    expect(replay).toMatchObject({ queued: 2, cursor: ids.toSorted().at(-1) });
    expect(replay?.finished_at).not.toBeNull();
    expect(sent).toEqual(ids.map((eventId) => ({ eventId, reason: "replay", generation: 1 })));
  });
});
