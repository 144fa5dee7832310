/**
 * Forwarding's wiring: the every-minute cron re-sends a pending delivery whose message was lost
 * and deletes ended deliveries past retention (never a pending one), and a forwarding failure never stops the cron's other
 * work; FORWARD_BACKOFF_BASE_SECONDS sets the first wait after a failed attempt.
 */
import { createScheduledController } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import { runScheduled } from "../src/cron/scheduled";
import { insertReceivedEvent, readEvent } from "./helpers/followup";
import {
  forwardEnv,
  forwardVars,
  insertDelivery,
  insertSettledEvent,
  makeDue,
  newScenario,
  readDelivery,
  recordingQueue,
  runForwards,
} from "./helpers/forward";

afterEach(() => {
  vi.restoreAllMocks();
});

const MINUTE = 60_000;
const DAY = 86_400_000;

async function deliveryCreatedAt(at: number): Promise<string> {
  return insertDelivery(await insertSettledEvent(), at);
}

function runCron(at: number, workerEnv: Env) {
  return runScheduled(createScheduledController({ scheduledTime: at, cron: "* * * * *" }), workerEnv);
}

describe("the cron", () => {
  it("re-sends a pending delivery whose attempt is overdue (its message was lost)", async () => {
    const now = Date.now();
    const id = await deliveryCreatedAt(now - 20 * MINUTE);
    const { queue, sent } = recordingQueue();
    await runCron(now, forwardEnv(forwardVars("cron"), queue));
    expect(sent.map((message) => message.deliveryId)).toContain(id);
  });

  it("leaves a pending delivery alone while its attempt is not overdue", async () => {
    const now = Date.now();
    const id = await deliveryCreatedAt(now);
    const { queue, sent } = recordingQueue();
    await runCron(now, forwardEnv(forwardVars("cron"), queue));
    expect(sent.map((message) => message.deliveryId)).not.toContain(id);
  });

  it("deletes ended deliveries older than RETENTION_DAYS, and keeps pending and newer ones", async () => {
    const now = Date.now();
    const old = await deliveryCreatedAt(now - 91 * DAY);
    const oldPending = await deliveryCreatedAt(now - 91 * DAY);
    const recent = await deliveryCreatedAt(now - 89 * DAY);
    for (const id of [old, recent]) {
      await env.DB.prepare("UPDATE deliveries SET status = 'delivered', next_attempt_at = NULL WHERE id = ?1")
        .bind(id)
        .run();
    }
    await runCron(now, env);
    expect(await readDelivery(old)).toBeNull();
    expect(await readDelivery(oldPending)).toMatchObject({ status: "pending" });
    expect(await readDelivery(recent)).not.toBeNull();
  });

  it("still sweeps follow-ups when the forwards queue fails", async () => {
    const now = Date.now();
    await deliveryCreatedAt(now - 20 * MINUTE);
    const stuck = await insertReceivedEvent({ receivedAt: now - 10 * MINUTE });
    const { queue } = recordingQueue();
    vi.spyOn(queue, "sendBatch").mockRejectedValue(new Error("queue down"));
    const swept: string[] = [];
    vi.spyOn(env.FOLLOWUPS, "sendBatch").mockImplementation(async (messages) => {
      for (const message of messages) swept.push((message.body as { eventId: string }).eventId);
      return { metadata: { metrics: { backlogCount: 0, backlogBytes: 0 } } } as QueueSendBatchResponse;
    });
    await expect(runCron(now, forwardEnv(forwardVars("cron"), queue))).resolves.toBeUndefined();
    expect(swept).toContain(stuck);
    expect((await readEvent(stuck))?.status).toBe("received");
  });
});

describe("FORWARD_BACKOFF_BASE_SECONDS", () => {
  it("sets the wait after the first failed attempt", async () => {
    const scenario = await newScenario([{ status: 500 }]);
    const id = await deliveryCreatedAt(Date.now());
    await makeDue(id);
    const { queue, sent } = recordingQueue();
    await runForwards([id], forwardEnv(forwardVars(scenario, { FORWARD_BACKOFF_BASE_SECONDS: "2" }), queue));
    expect(sent).toHaveLength(1);
    expect(sent[0]?.delaySeconds).toBeGreaterThanOrEqual(1);
    expect(sent[0]?.delaySeconds).toBeLessThanOrEqual(2);
    expect((await readDelivery(id))?.attempts).toBe(1);
  });

  it("waits 15 to 30 seconds after the first failed attempt when unset", async () => {
    const scenario = await newScenario([{ status: 500 }]);
    const id = await deliveryCreatedAt(Date.now());
    await makeDue(id);
    const { queue, sent } = recordingQueue();
    await runForwards([id], forwardEnv(forwardVars(scenario), queue));
    expect(sent[0]?.delaySeconds).toBeGreaterThanOrEqual(15);
    expect(sent[0]?.delaySeconds).toBeLessThanOrEqual(30);
  });
});
