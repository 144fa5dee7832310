/**
 * The cron handler: the sweeper re-enqueues follow-ups left `received` too long (once), and the
 * retention purge deletes events and snapshots past RETENTION_DAYS.
 */
import { createScheduledController } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import { runScheduled } from "../src/cron/scheduled";
import type { FollowupMessage } from "../src/followup/message";
import { replayEvent } from "../src/followup/replay";
import { encodeIdTime, newUlid } from "../src/lib/ids";
import { getReplay, insertReplay } from "../src/store/replays";
import { getSnapshot, upsertSnapshot } from "../src/store/resources";
import { insertReceivedEvent, newOrderNumber, readEvent } from "./helpers/followup";

afterEach(() => {
  vi.restoreAllMocks();
});

const MINUTE = 60_000;
const DAY = 86_400_000;

/** Records the event ids the sweeper sends, without delivering them. */
function spyOnSweeps() {
  const swept: string[] = [];
  vi.spyOn(env.FOLLOWUPS, "sendBatch").mockImplementation(async (messages) => {
    for (const message of messages) {
      const body = message.body as { eventId: string; reason: string };
      expect(body.reason).toBe("sweep");
      swept.push(body.eventId);
    }
    return { metadata: { metrics: { backlogCount: 0, backlogBytes: 0 } } } as QueueSendBatchResponse;
  });
  return swept;
}

/** A settled event received at `at`: the consumer has got past that point of the queue. */
function consumerPassed(at: number) {
  return insertReceivedEvent({ receivedAt: at, status: "processed" });
}

async function runCron(at: number) {
  await runScheduled(createScheduledController({ scheduledTime: at, cron: "* * * * *" }), env);
}

/** Records every follow-up body sent in batches (the sweeper's, the bulk replays'). */
function captureBodies() {
  const bodies: FollowupMessage[] = [];
  vi.spyOn(env.FOLLOWUPS, "sendBatch").mockImplementation(async (messages) => {
    for (const message of messages) bodies.push(message.body as FollowupMessage);
    return { metadata: { metrics: { backlogCount: 0, backlogBytes: 0 } } } as QueueSendBatchResponse;
  });
  return bodies;
}

// First in the file: no settled event of a later test is newer yet, so the queue's frontier is
// not ahead of these replays (they run at the real time, as replayEvent does).
describe("the sweeper and replayed events", () => {
  // Removed afterwards: still `received`, they would be swept by the later tests' runs.
  const made: string[] = [];
  afterEach(async () => {
    await env.DB.prepare("DELETE FROM events WHERE id IN (SELECT value FROM json_each(?1))")
      .bind(JSON.stringify(made.splice(0)))
      .run();
  });

  it("re-sends a replay whose enqueue was lost with the replay's retry budget and priority", async () => {
    const start = Date.now();
    const id = await insertReceivedEvent({ status: "failed", attempts: 6, receivedAt: start - 3 * DAY });
    made.push(id);
    vi.spyOn(env.FOLLOWUPS, "send").mockRejectedValue(new Error("queue unavailable"));
    expect(await replayEvent(env, id)).toMatchObject({ delivery: "scheduled" });
    const bodies = captureBodies();

    await runCron(start + 6 * MINUTE);

    expect(bodies).toContainEqual({ eventId: id, reason: "replay", attemptsBefore: 6, generation: 1 });
  });

  it("leaves a replayed event waiting in a queue backlog alone past SWEEP_AFTER, and re-sends it once lost", async () => {
    const start = Date.now();
    const id = await insertReceivedEvent({ status: "failed", receivedAt: start - 3 * DAY });
    made.push(id);
    vi.spyOn(env.FOLLOWUPS, "send").mockResolvedValue(undefined as never);
    expect(await replayEvent(env, id)).toMatchObject({ delivery: "queued" });
    const bodies = captureBodies();

    await runCron(start + 10 * MINUTE);
    expect(bodies.map((body) => body.eventId)).not.toContain(id);

    await runCron(start + 31 * MINUTE);
    expect(bodies).toContainEqual({ eventId: id, reason: "replay", generation: 1 });
  });

  it("re-sends a lost follow-up of an event reconciliation added at reconcile priority", async () => {
    const start = Date.now();
    const id = await insertReceivedEvent({ receivedAt: start - 40 * MINUTE });
    made.push(id);
    await env.DB.prepare("UPDATE events SET source = 'reconcile' WHERE id = ?1").bind(id).run();
    const bodies = captureBodies();

    await runCron(start);

    expect(bodies).toContainEqual({ eventId: id, reason: "reconcile" });
  });
});

describe("the sweeper", () => {
  it("re-enqueues an event left received longer than SWEEP_AFTER_SECONDS once the queue has moved past it", async () => {
    const now = Date.now();
    const stuck = await insertReceivedEvent({ receivedAt: now - 10 * MINUTE });
    await consumerPassed(now - MINUTE);
    const swept = spyOnSweeps();

    await runCron(now);

    expect(swept).toContain(stuck);
    expect((await readEvent(stuck))?.next_attempt_at).toBe(now);
  });

  it("leaves recent events and events already decided alone", async () => {
    const now = Date.now();
    const recent = await insertReceivedEvent({ receivedAt: now - MINUTE });
    const done = await insertReceivedEvent({ receivedAt: now - 10 * MINUTE, status: "processed" });
    const failed = await insertReceivedEvent({ receivedAt: now - 10 * MINUTE, status: "failed" });
    const swept = spyOnSweeps();

    await runCron(now);

    expect(swept).not.toContain(recent);
    expect(swept).not.toContain(done);
    expect(swept).not.toContain(failed);
  });

  it("sends a stuck event once, not on every run", async () => {
    const now = Date.now();
    const stuck = await insertReceivedEvent({ receivedAt: now - 10 * MINUTE });
    await consumerPassed(now - MINUTE);
    const swept = spyOnSweeps();

    await runCron(now);
    await runCron(now + MINUTE);

    expect(swept.filter((id) => id === stuck)).toHaveLength(1);
  });

  it("waits for an event's retry delay before calling it stuck", async () => {
    const now = Date.now();
    const waiting = await insertReceivedEvent({ receivedAt: now - 60 * MINUTE });
    await env.DB.prepare("UPDATE events SET next_attempt_at = ?2 WHERE id = ?1")
      .bind(waiting, now + 30 * MINUTE)
      .run();
    const swept = spyOnSweeps();

    await runCron(now);
    expect(swept).not.toContain(waiting);

    await runCron(now + 36 * MINUTE);
    expect(swept).toContain(waiting);
  });
});

describe("the sweeper during a queue backlog", () => {
  // A moment after every earlier test's events (each test a day later than the one before), so
  // no settled event of theirs is newer: the database is shared within the file.
  let days = 30;
  const later = () => {
    days += 1;
    return Date.now() + days * DAY;
  };

  it("leaves an event that is only waiting in the queue alone", async () => {
    const now = later();
    const waiting = await insertReceivedEvent({ receivedAt: now - 10 * MINUTE });
    const swept = spyOnSweeps();

    await runCron(now);

    expect(swept).not.toContain(waiting);
    expect((await readEvent(waiting))?.next_attempt_at).toBeNull();
  });

  it("re-sends it once the consumer has settled an event received well after it", async () => {
    const now = later();
    const lost = await insertReceivedEvent({ receivedAt: now - 10 * MINUTE });
    await consumerPassed(now - 4 * MINUTE);
    const swept = spyOnSweeps();

    await runCron(now);

    expect(swept).toContain(lost);
  });

  it("does not count an event settled less than SWEEP_AFTER after it as the queue moving past it", async () => {
    const now = later();
    const waiting = await insertReceivedEvent({ receivedAt: now - 10 * MINUTE });
    await consumerPassed(now - 8 * MINUTE);
    const swept = spyOnSweeps();

    await runCron(now);

    expect(swept).not.toContain(waiting);
  });

  it("re-sends it anyway after SWEEP_LOST_AFTER_SECONDS (a lost last push)", async () => {
    const now = later();
    const lost = await insertReceivedEvent({ receivedAt: now - 31 * MINUTE });
    const swept = spyOnSweeps();

    await runCron(now);

    expect(swept).toContain(lost);
  });

  it("re-sends a replayed event at the generation of its replay", async () => {
    const now = later();
    const replayed = await insertReceivedEvent({ receivedAt: now - 60 * MINUTE });
    await env.DB.prepare("UPDATE events SET generation = 3, next_attempt_at = ?2 WHERE id = ?1")
      .bind(replayed, now - 10 * MINUTE)
      .run();
    const bodies: unknown[] = [];
    vi.spyOn(env.FOLLOWUPS, "sendBatch").mockImplementation(async (messages) => {
      for (const message of messages) bodies.push(message.body);
      return { metadata: { metrics: { backlogCount: 0, backlogBytes: 0 } } } as QueueSendBatchResponse;
    });

    await runCron(now);

    expect(bodies).toContainEqual({ eventId: replayed, reason: "sweep", generation: 3 });
  });
});

describe("bulk replay continuation", () => {
  it("advances a bulk replay although the sweep fails", async () => {
    const now = Date.now() + 400 * DAY;
    const seller = `sweep-fails-${crypto.randomUUID()}`;
    const failed = await insertReceivedEvent({ status: "failed", seller_id: seller, receivedAt: now - 2 * DAY });
    await insertReceivedEvent({ receivedAt: now - 60 * MINUTE }); // stuck: the sweep tries to send it
    const replayId = newUlid(now - MINUTE);
    await insertReplay(env.DB, {
      id: replayId,
      filters: JSON.stringify({ status: "failed", seller_id: seller }),
      matched: 1,
      cursor: null,
      upper_id: encodeIdTime(now),
      created_at: now - MINUTE,
    });
    const replayed: string[] = [];
    vi.spyOn(env.FOLLOWUPS, "sendBatch").mockImplementation(async (messages) => {
      const bodies = [...messages].map((message) => message.body as { eventId: string; reason: string });
      if (bodies.some((body) => body.reason !== "replay")) throw new Error("queue refuses the sweep");
      replayed.push(...bodies.map((body) => body.eventId));
      return { metadata: { metrics: { backlogCount: 0, backlogBytes: 0 } } } as QueueSendBatchResponse;
    });

    await expect(runCron(now)).rejects.toThrow(/refuses the sweep/);

    expect(replayed).toContain(failed);
    expect(await getReplay(env.DB, replayId)).toMatchObject({ queued: 1 });
  });
});

describe("the retention purge", () => {
  it("deletes events received more than RETENTION_DAYS ago and keeps newer ones", async () => {
    const now = Date.now();
    spyOnSweeps();
    const old = await insertReceivedEvent({ receivedAt: now - 91 * DAY, status: "processed" });
    const kept = await insertReceivedEvent({ receivedAt: now - 89 * DAY, status: "processed" });

    await runCron(now);

    expect(await readEvent(old)).toBeNull();
    expect(await readEvent(kept)).not.toBeNull();
  });

  it("deletes snapshots not fetched for more than RETENTION_DAYS", async () => {
    const now = Date.now();
    spyOnSweeps();
    const snapshot = (id: string, fetchedAt: number) => ({
      type: "order",
      id,
      seller_id: null,
      status_name: null,
      data: "{}",
      fetched_at: fetchedAt,
      last_event_id: null,
    });
    const stale = newOrderNumber();
    const fresh = newOrderNumber();
    await upsertSnapshot(env.DB, snapshot(stale, now - 91 * DAY));
    await upsertSnapshot(env.DB, snapshot(fresh, now - DAY));

    await runCron(now);

    expect(await getSnapshot(env.DB, "order", stale)).toBeNull();
    expect(await getSnapshot(env.DB, "order", fresh)).not.toBeNull();
  });
});
