/**
 * The writes that settle events nudge the destinations' walk, once per batch, and nothing else:
 * the follow-up consumer, the dead-letter consumer and retention send `{walk: "all"}` on the
 * forwards queue; a batch that settles nothing sends none; a nudge that cannot be sent is logged.
 * The forwards consumer walks once per batch of nudges.
 */
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import { consumeForwards } from "../src/forward/consumer";
import { liveForwardDeps } from "../src/forward/deps";
import { nudgeWalk } from "../src/queue/walk-nudge";
import { purgePastRetention } from "./helpers/archive";
import { deliver, insertReceivedEvent, orderAnswer, readEvent, stubOmisell } from "./helpers/followup";
import { createTestDestination, deliveriesOf, forwardEnv, newScenario, recordingQueue } from "./helpers/forward";
import { runBatch } from "./helpers/queue";
import { storeEvent } from "./helpers/read-api";

afterEach(() => {
  vi.restoreAllMocks();
});

const DAY = 86_400_000;

/** The follow-up consumer's deps with a recording forwards queue for its nudges. */
function nudging() {
  const { queue, nudges, sent } = recordingQueue();
  return { nudges, sent, nudgeForwarding: () => nudgeWalk(queue) };
}

describe("the follow-up consumer", () => {
  it("nudges the walk once for a batch that settled events", async () => {
    const ids = [await insertReceivedEvent(), await insertReceivedEvent(), await insertReceivedEvent()];
    stubOmisell((call) => orderAnswer(decodeURIComponent(call.url.split("/").at(-1) ?? "")));
    const { nudges, nudgeForwarding } = nudging();

    await deliver(
      ids.map((eventId) => ({ eventId })),
      "omisell-followups",
      {},
      { nudgeForwarding },
    );

    for (const id of ids) expect((await readEvent(id))?.status).toBe("processed");
    expect(nudges).toEqual(["all"]);
  });

  it("sends no nudge for a batch that settled nothing", async () => {
    const id = await insertReceivedEvent();
    await env.DB.prepare("UPDATE events SET status = 'processed' WHERE id = ?1").bind(id).run();
    const { nudges, nudgeForwarding } = nudging();
    await deliver([{ eventId: id }], "omisell-followups", {}, { nudgeForwarding });
    expect(nudges).toEqual([]);
  });

  it("still acknowledges what it settled when the nudge cannot be sent", async () => {
    const id = await insertReceivedEvent();
    stubOmisell((call) => orderAnswer(decodeURIComponent(call.url.split("/").at(-1) ?? "")));
    const failing = { sendBatch: () => Promise.reject(new Error("queue down")) };
    const result = await deliver(
      [{ eventId: id }],
      "omisell-followups",
      {},
      { nudgeForwarding: () => nudgeWalk(failing) },
    );
    expect(result.acked).toEqual(["msg-0"]);
    expect((await readEvent(id))?.status).toBe("processed");
  });
});

describe("the dead-letter consumer", () => {
  it("nudges the walk when it settles an event failed", async () => {
    const id = await insertReceivedEvent({ attempts: 8 });
    const { nudges, nudgeForwarding } = nudging();
    await deliver([{ eventId: id, attempts: 9 }], "omisell-followups-dlq", {}, { nudgeForwarding });
    expect((await readEvent(id))?.status).toBe("failed");
    expect(nudges).toEqual(["all"]);
  });
});

describe("retention", () => {
  it("nudges the walk after settling events whose follow-up never finished", async () => {
    const { queue, nudges } = recordingQueue();
    await insertReceivedEvent({ receivedAt: Date.now() - 91 * DAY });
    await purgePastRetention(forwardEnv({}, queue), Date.now());
    expect(nudges).toEqual(["all"]);
  });
});

describe("the forwards consumer", () => {
  it("walks once for a batch of nudges, creating and sending the deliveries the feed holds", async () => {
    const { queue, sent } = recordingQueue();
    const workerEnv = forwardEnv({}, queue);
    const target = await createTestDestination(workerEnv, await newScenario());
    const event = await storeEvent({ status: "processed" });
    const deps = liveForwardDeps(workerEnv);
    const walks = vi.spyOn(deps.db, "batch");

    const result = await runBatch(
      "omisell-forwards",
      [
        { id: "n1", attempts: 1, body: { walk: "all" } },
        { id: "n2", attempts: 1, body: { walk: "all" } },
        { id: "n3", attempts: 1, body: { walk: target.id } },
      ],
      workerEnv,
      (batch) => consumeForwards(batch, deps),
    );

    expect(result.acked.sort()).toEqual(["n1", "n2", "n3"]);
    const [delivery] = await deliveriesOf(event.id, target.id);
    expect(sent.map((m) => m.deliveryId)).toEqual([delivery?.id]);
    // One walk: the sync and read of the destinations, then the one step of the one destination.
    expect(walks.mock.calls.length).toBe(2);
  });
});
