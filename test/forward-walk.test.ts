/**
 * The minute cron's walk, the fallback of the nudges: settled events whose nudge was lost (the
 * queue failed, the worker stopped after the settling write) get their delivery from the next
 * run, found by walking the change feed past the destination's cursor stored in D1.
 */
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import { runForwardingCron } from "../src/cron/forwarding";
import { insertReceivedEvent } from "./helpers/followup";
import { deliveriesOf, forwardEnv, forwardVars, insertSettledEvent, recordingQueue } from "./helpers/forward";

afterEach(() => {
  vi.restoreAllMocks();
});

function forwarding() {
  const { queue, sent } = recordingQueue();
  return { workerEnv: forwardEnv(forwardVars("walk"), queue), sent };
}

async function cursor(): Promise<number | null> {
  const row = await env.DB.prepare("SELECT cursor_seq FROM destinations WHERE id = 'default'").first<{
    cursor_seq: number;
  }>();
  return row?.cursor_seq ?? null;
}

async function settle(eventId: string, status = "failed") {
  await env.DB.prepare("UPDATE events SET status = ?2, processed_at = ?3 WHERE id = ?1")
    .bind(eventId, status, Date.now())
    .run();
}

describe("the forwarding cron's walk", () => {
  it("creates and sends the delivery of an event that settled while its nudge was lost", async () => {
    const { workerEnv, sent } = forwarding();
    await runForwardingCron(workerEnv, Date.now());
    const eventId = await insertReceivedEvent();
    await settle(eventId, "processed");

    const result = await runForwardingCron(workerEnv, Date.now());

    const deliveries = await deliveriesOf(eventId);
    expect(deliveries).toHaveLength(1);
    expect(deliveries[0]?.status).toBe("pending");
    expect(sent.map((message) => message.deliveryId)).toEqual([deliveries[0]?.id]);
    expect(result.walked).toBe(1);
  });

  it("gives an event already delivered no second delivery", async () => {
    const { workerEnv, sent } = forwarding();
    await runForwardingCron(workerEnv, Date.now());
    const eventId = await insertSettledEvent("processed");
    await runForwardingCron(workerEnv, Date.now());
    const [delivery] = await deliveriesOf(eventId);
    await env.DB.prepare("UPDATE deliveries SET status = 'delivered', next_attempt_at = NULL WHERE id = ?1")
      .bind(delivery?.id)
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
    expect(await cursor()).toBe(seq);
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
    const off = await env.DB.prepare("SELECT state, disabled_reason FROM destinations WHERE id = 'default'").first();
    expect(off).toEqual({ state: "paused", disabled_reason: "FORWARD_URL is not set" });
    await runForwardingCron(forwardEnv(forwardVars("walk"), queue), Date.now());

    expect(await deliveriesOf(settledWhileOff)).toHaveLength(0);
    expect(sent).toEqual([]);
    const later = await insertReceivedEvent();
    await settle(later);
    await runForwardingCron(forwardEnv(forwardVars("walk"), queue), Date.now());
    expect(await deliveriesOf(later)).toHaveLength(1);
  });

  it("keeps its cursor when creating the deliveries fails, and creates them on the next run", async () => {
    const { workerEnv } = forwarding();
    await runForwardingCron(workerEnv, Date.now());
    const before = await cursor();
    const eventId = await insertSettledEvent("failed");
    const failingDb = {
      prepare: (sql: string) => env.DB.prepare(sql),
      batch: () => Promise.reject(new Error("D1 is unavailable")),
    } as unknown as D1Database;

    await runForwardingCron({ ...workerEnv, DB: failingDb } as Env, Date.now());
    expect(await cursor()).toBe(before);

    await runForwardingCron(workerEnv, Date.now());
    expect(await deliveriesOf(eventId)).toHaveLength(1);
  });
});
