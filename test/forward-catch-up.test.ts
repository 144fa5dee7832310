/**
 * The forwarding cron's catch-up: settled events whose delivery was never created (the write
 * after the settling write failed, or the worker stopped in between) get it from the next run,
 * found by walking the change feed past a watermark stored in D1.
 */
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import { runForwardingCron } from "../src/cron/forwarding";
import { liveForwardDeps } from "../src/forward/deps";
import { enqueueDeliveries } from "../src/forward/enqueue";
import { insertReceivedEvent } from "./helpers/followup";
import { forwardEnv, forwardVars, insertSettledEvent, recordingQueue } from "./helpers/forward";

afterEach(() => {
  vi.restoreAllMocks();
});

function forwarding() {
  const { queue, sent } = recordingQueue();
  return { workerEnv: forwardEnv(forwardVars("catch-up"), queue), sent };
}

async function deliveriesOf(eventId: string) {
  const { results } = await env.DB.prepare("SELECT * FROM deliveries WHERE event_id = ?1")
    .bind(eventId)
    .all<{ id: string; status: string }>();
  return results;
}

async function watermark(): Promise<number | null> {
  const row = await env.DB.prepare("SELECT last_seq FROM forward_watermark WHERE id = 1").first<{
    last_seq: number | null;
  }>();
  return row?.last_seq ?? null;
}

async function settle(eventId: string, status = "failed") {
  await env.DB.prepare("UPDATE events SET status = ?2, processed_at = ?3 WHERE id = ?1")
    .bind(eventId, status, Date.now())
    .run();
}

describe("the forwarding cron's catch-up", () => {
  it("creates and sends the delivery of an event that settled while enqueueDeliveries failed", async () => {
    const { workerEnv, sent } = forwarding();
    await runForwardingCron(workerEnv, Date.now());
    const eventId = await insertReceivedEvent();
    await settle(eventId, "processed");
    const failingDb = {
      prepare: (sql: string) => env.DB.prepare(sql),
      batch: () => Promise.reject(new Error("D1 is unavailable")),
    } as unknown as D1Database;
    expect(await enqueueDeliveries(liveForwardDeps({ ...workerEnv, DB: failingDb } as Env), [eventId])).toEqual([]);

    const result = await runForwardingCron(workerEnv, Date.now());

    const deliveries = await deliveriesOf(eventId);
    expect(deliveries).toHaveLength(1);
    expect(deliveries[0]?.status).toBe("pending");
    expect(sent.map((message) => message.deliveryId)).toEqual([deliveries[0]?.id]);
    expect(result.caughtUp).toBe(1);
  });

  it("gives an event already delivered no second delivery", async () => {
    const { workerEnv, sent } = forwarding();
    await runForwardingCron(workerEnv, Date.now());
    const eventId = await insertSettledEvent("processed");
    const [deliveryId] = await enqueueDeliveries(liveForwardDeps(workerEnv), [eventId]);
    await env.DB.prepare("UPDATE deliveries SET status = 'delivered', next_attempt_at = NULL WHERE id = ?1")
      .bind(deliveryId)
      .run();
    sent.length = 0;

    await runForwardingCron(workerEnv, Date.now());

    expect(await deliveriesOf(eventId)).toHaveLength(1);
    expect(sent).toEqual([]);
  });

  it("creates nothing for an event still waiting for its follow-up, and advances past it", async () => {
    const { workerEnv, sent } = forwarding();
    await runForwardingCron(workerEnv, Date.now());
    const eventId = await insertReceivedEvent();

    await runForwardingCron(workerEnv, Date.now());

    expect(await deliveriesOf(eventId)).toHaveLength(0);
    expect(sent).toEqual([]);
    const { seq } = (await env.DB.prepare("SELECT seq FROM events WHERE id = ?1").bind(eventId).first<{
      seq: number;
    }>()) ?? { seq: -1 };
    expect(await watermark()).toBe(seq);
  });

  it("catches up the settlement of an event it had passed while it was received", async () => {
    const { workerEnv } = forwarding();
    await runForwardingCron(workerEnv, Date.now());
    const eventId = await insertReceivedEvent();
    await runForwardingCron(workerEnv, Date.now());
    await settle(eventId);

    await runForwardingCron(workerEnv, Date.now());

    expect(await deliveriesOf(eventId)).toHaveLength(1);
  });

  it("does nothing while forwarding is off, and starts from the newest change when it is turned on", async () => {
    const { queue, sent } = recordingQueue();
    const { workerEnv } = forwarding();
    await runForwardingCron(workerEnv, Date.now());
    const settledWhileOff = await insertSettledEvent("processed");

    await runForwardingCron(forwardEnv({}, queue), Date.now());
    expect(await watermark()).toBeNull();
    await runForwardingCron(forwardEnv(forwardVars("catch-up"), queue), Date.now());

    expect(await deliveriesOf(settledWhileOff)).toHaveLength(0);
    expect(sent).toEqual([]);
    const later = await insertReceivedEvent();
    await settle(later);
    await runForwardingCron(forwardEnv(forwardVars("catch-up"), queue), Date.now());
    expect(await deliveriesOf(later)).toHaveLength(1);
  });

  it("keeps its watermark when creating the deliveries fails, and creates them on the next run", async () => {
    const { workerEnv } = forwarding();
    await runForwardingCron(workerEnv, Date.now());
    const before = await watermark();
    const eventId = await insertSettledEvent("failed");
    const failingDb = {
      prepare: (sql: string) => env.DB.prepare(sql),
      batch: () => Promise.reject(new Error("D1 is unavailable")),
    } as unknown as D1Database;

    await runForwardingCron({ ...workerEnv, DB: failingDb } as Env, Date.now());
    expect(await watermark()).toBe(before);

    await runForwardingCron(workerEnv, Date.now());
    expect(await deliveriesOf(eventId)).toHaveLength(1);
  });
});
