/**
 * The entry points around the forwarding consumer: the walk that creates deliveries for settled
 * events (FORWARD_URL's destination here; filters and several destinations in
 * destinations-walk.test.ts), the sweeper that re-sends lost messages, the list behind
 * GET /api/deliveries and the health signal.
 */
import { env } from "cloudflare:workers";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { liveForwardDeps } from "../src/forward/deps";
import { SWEEP_GRACE_MS, sweepDeliveries } from "../src/forward/retries";
import { walkDestinations } from "../src/forward/walker";
import { deliveriesFailingNow } from "../src/health/deliveries";
import { encodeIdTime } from "../src/lib/ids";
import { listDeliveries } from "../src/store/delivery-reads";
import { markEventsProcessedStatement, reopenEventForReplay } from "../src/store/followup-state";
import { purgeBounded } from "../src/store/retention";
import { insertReceivedEvent } from "./helpers/followup";
import {
  deliveriesOf,
  forwardEnv,
  forwardVars,
  insertSettledEvent,
  readDelivery,
  recordingQueue,
  walk,
  walkedDelivery,
} from "./helpers/forward";

afterEach(() => {
  vi.restoreAllMocks();
});

function forwarding() {
  const { queue, sent } = recordingQueue();
  return { workerEnv: forwardEnv(forwardVars("deliveries"), queue), sent };
}

/** The ids of the deliveries the walk made for these events. */
async function walkedFor(workerEnv: Env, eventIds: string[]): Promise<string[]> {
  await walk(workerEnv);
  return (await Promise.all(eventIds.map((id) => deliveriesOf(id)))).flat().map((delivery) => delivery.id);
}

describe("the walk, for FORWARD_URL's destination", () => {
  it("creates one pending delivery per settled event and sends one message each", async () => {
    const ids = [
      await insertSettledEvent("processed"),
      await insertSettledEvent("skipped"),
      await insertSettledEvent("failed"),
    ];
    const { workerEnv, sent } = forwarding();

    const created = await walkedFor(workerEnv, ids);

    expect(created).toHaveLength(3);
    expect(sent.map((message) => message.deliveryId).sort()).toEqual([...created].sort());
    for (const id of created) {
      expect(await readDelivery(id)).toMatchObject({
        status: "pending",
        attempts: 0,
        last_error: null,
        destination_id: "default",
      });
    }
  });

  it("gives each delivery a time-sortable id, a due time and a 3-day deadline", async () => {
    const before = Date.now();
    const { workerEnv } = forwarding();
    const id = await walkedDelivery(workerEnv, await insertSettledEvent());
    const delivery = await readDelivery(id);
    expect(id).toMatch(/^[0-9A-HJKMNP-TV-Z]{26}$/);
    expect(delivery?.created_at).toBeGreaterThanOrEqual(before);
    expect(delivery?.next_attempt_at).toBe(delivery?.created_at);
    expect(delivery?.retry_until).toBe((delivery?.created_at ?? 0) + 3 * 24 * 3_600_000);
  });

  it("creates nothing for an event still waiting for its follow-up", async () => {
    const eventId = await insertReceivedEvent();
    const { workerEnv, sent } = forwarding();
    expect(await walkedFor(workerEnv, [eventId])).toEqual([]);
    expect(sent).toEqual([]);
  });

  it("creates nothing more when it walks again over the same settlement", async () => {
    const eventId = await insertSettledEvent();
    const { workerEnv } = forwarding();
    await walk(workerEnv);
    await env.DB.prepare("UPDATE destinations SET cursor_seq = 0 WHERE id = 'default'").run();
    await walk(workerEnv);
    expect(await deliveriesOf(eventId)).toHaveLength(1);
  });

  it("creates a new delivery when a replayed event settles again", async () => {
    const eventId = await insertSettledEvent();
    const { workerEnv } = forwarding();
    await walk(workerEnv);
    const reopened = await reopenEventForReplay(env.DB, eventId, Date.now());
    const attempt = { id: eventId, generation: reopened?.generation ?? 0 };
    await markEventsProcessedStatement(env.DB, [attempt], Date.now() + 1).run();

    await walk(workerEnv);
    expect(await deliveriesOf(eventId)).toHaveLength(2);
  });

  it("creates a new delivery when a replayed event fails again with the same attempts and processed_at", async () => {
    const eventId = await insertSettledEvent("failed");
    const { workerEnv } = forwarding();
    await walk(workerEnv);
    // A replay reopens the event and the follow-up fails again exactly as before: only its status changes.
    await env.DB.prepare("UPDATE events SET status = 'received' WHERE id = ?1").bind(eventId).run();
    await env.DB.prepare("UPDATE events SET status = 'failed' WHERE id = ?1").bind(eventId).run();

    await walk(workerEnv);
    expect(await deliveriesOf(eventId)).toHaveLength(2);
  });

  it("does nothing while forwarding is off, and sends nothing settled meanwhile once it is on again", async () => {
    const { queue, sent } = recordingQueue();
    await walk(forwardEnv({}, queue));
    const eventId = await insertSettledEvent();
    expect(await walk(forwardEnv({}, queue))).toBe(0);
    expect(sent).toEqual([]);
    expect(await deliveriesOf(eventId)).toHaveLength(0);

    await walk(forwardEnv(forwardVars("deliveries"), queue));
    expect(await deliveriesOf(eventId)).toHaveLength(0);
    const later = await insertSettledEvent();
    await walk(forwardEnv(forwardVars("deliveries"), queue));
    expect(await deliveriesOf(later)).toHaveLength(1);
  });

  it("throws when D1 fails, keeps its cursor, and the next walk creates the delivery", async () => {
    const { queue, sent } = recordingQueue();
    const workerEnv = forwardEnv(forwardVars("deliveries"), queue);
    await walk(workerEnv);
    const eventId = await insertSettledEvent();
    const failingDb = {
      prepare: (sql: string) => env.DB.prepare(sql),
      batch: () => Promise.reject(new Error("D1 is unavailable")),
    } as unknown as D1Database;

    await expect(walkDestinations(liveForwardDeps({ ...workerEnv, DB: failingDb } as Env), Date.now())).rejects.toThrow(
      "D1 is unavailable",
    );
    expect(sent).toEqual([]);

    await walk(workerEnv);
    expect(await deliveriesOf(eventId)).toHaveLength(1);
  });

  it("never throws when the queue fails, and leaves the delivery for the sweeper", async () => {
    const eventId = await insertSettledEvent();
    const queue = { sendBatch: () => Promise.reject(new Error("queue down")) } as unknown as Queue;
    const workerEnv = forwardEnv(forwardVars("deliveries"), queue);

    await expect(walk(workerEnv)).resolves.toBeGreaterThanOrEqual(1);

    const [delivery] = await deliveriesOf(eventId);
    expect(delivery?.status).toBe("pending");
  });
});

describe("sweepDeliveries", () => {
  async function pendingDueAt(at: number) {
    const { workerEnv } = forwarding();
    const id = await walkedDelivery(workerEnv, await insertSettledEvent());
    await env.DB.prepare("UPDATE deliveries SET next_attempt_at = ?2 WHERE id = ?1").bind(id, at).run();
    return id;
  }

  it("re-sends a pending delivery overdue by more than the grace period", async () => {
    const now = Date.now();
    const overdue = await pendingDueAt(now - SWEEP_GRACE_MS - 1000);
    const { workerEnv, sent } = forwarding();

    await sweepDeliveries(liveForwardDeps(workerEnv), now);

    expect(sent.map((message) => message.deliveryId)).toContain(overdue);
    expect((await readDelivery(overdue))?.next_attempt_at).toBe(now);
  });

  it("leaves alone a delivery due recently, or not yet due", async () => {
    const now = Date.now();
    const recent = await pendingDueAt(now - 60_000);
    const later = await pendingDueAt(now + 60_000);
    const { workerEnv, sent } = forwarding();

    await sweepDeliveries(liveForwardDeps(workerEnv), now);

    expect(sent.map((message) => message.deliveryId)).not.toContain(recent);
    expect(sent.map((message) => message.deliveryId)).not.toContain(later);
  });

  it("does not re-send the same delivery at the next sweep", async () => {
    const now = Date.now();
    const overdue = await pendingDueAt(now - SWEEP_GRACE_MS - 1000);
    const { workerEnv, sent } = forwarding();
    await sweepDeliveries(liveForwardDeps(workerEnv), now);
    sent.length = 0;

    await sweepDeliveries(liveForwardDeps(workerEnv), now + 60_000);

    expect(sent.map((message) => message.deliveryId)).not.toContain(overdue);
  });

  it("leaves delivered and failed deliveries alone", async () => {
    const now = Date.now();
    const delivered = await pendingDueAt(now - SWEEP_GRACE_MS - 1000);
    const failed = await pendingDueAt(now - SWEEP_GRACE_MS - 1000);
    await env.DB.prepare("UPDATE deliveries SET status = 'delivered' WHERE id = ?1").bind(delivered).run();
    await env.DB.prepare("UPDATE deliveries SET status = 'failed' WHERE id = ?1").bind(failed).run();
    const { workerEnv, sent } = forwarding();

    await sweepDeliveries(liveForwardDeps(workerEnv), now);

    expect(sent.map((message) => message.deliveryId)).not.toContain(delivered);
    expect(sent.map((message) => message.deliveryId)).not.toContain(failed);
  });

  it("does nothing while forwarding is off", async () => {
    const now = Date.now();
    await pendingDueAt(now - SWEEP_GRACE_MS - 1000);
    const { queue, sent } = recordingQueue();
    expect(await sweepDeliveries(liveForwardDeps(forwardEnv({}, queue)), now)).toBe(0);
    expect(sent).toEqual([]);
  });
});

describe("listDeliveries", () => {
  /** One event settled three times (replays): three deliveries. */
  async function threeDeliveriesOfOneEvent() {
    const eventId = await insertSettledEvent();
    const { workerEnv } = forwarding();
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      if (i > 0) {
        const reopened = await reopenEventForReplay(env.DB, eventId, Date.now());
        const attempt = { id: eventId, generation: reopened?.generation ?? 0 };
        await markEventsProcessedStatement(env.DB, [attempt], Date.now() + i).run();
      }
      await walk(workerEnv);
    }
    ids.push(...(await deliveriesOf(eventId)).map((delivery) => delivery.id));
    return { eventId, ids };
  }

  it("lists an event's deliveries newest first, in pages that neither overlap nor skip", async () => {
    const { eventId, ids } = await threeDeliveriesOfOneEvent();

    const first = await listDeliveries(env.DB, { event_id: eventId, limit: 2 });
    const second = await listDeliveries(env.DB, { event_id: eventId, limit: 2, cursor: first.next_cursor ?? "" });

    const listed = [...first.deliveries, ...second.deliveries].map((delivery) => delivery.id);
    expect(listed).toEqual([...ids].sort().reverse());
    expect(first.next_cursor).toBe(listed[1]);
    expect(second.next_cursor).toBeNull();
  });

  it("filters by status", async () => {
    const { ids } = await threeDeliveriesOfOneEvent();
    await env.DB.prepare("UPDATE deliveries SET status = 'failed' WHERE id = ?1").bind(ids[0]).run();

    const { deliveries } = await listDeliveries(env.DB, { status: "failed", limit: 200 });

    expect(deliveries.map((delivery) => delivery.id)).toContain(ids[0]);
    expect(deliveries.every((delivery) => delivery.status === "failed")).toBe(true);
  });
});

describe("deliveries failing, for the health check", () => {
  const { workerEnv } = forwarding();
  const deliveriesFailing = (_db: D1Database, now: number) => deliveriesFailingNow(workerEnv, now);

  beforeEach(async () => {
    await env.DB.prepare("DELETE FROM deliveries").run();
  });

  async function deliveryWith(fields: { status: string; attempts: number; last_attempt_at: number | null }) {
    const id = await walkedDelivery(workerEnv, await insertSettledEvent());
    await env.DB.prepare("UPDATE deliveries SET status = ?2, attempts = ?3, last_attempt_at = ?4 WHERE id = ?1")
      .bind(id, fields.status, fields.attempts, fields.last_attempt_at)
      .run();
  }

  it("is false while deliveries succeed or have failed fewer than 3 times", async () => {
    const now = Date.now();
    await deliveryWith({ status: "delivered", attempts: 5, last_attempt_at: now });
    await deliveryWith({ status: "pending", attempts: 2, last_attempt_at: now });
    expect(await deliveriesFailing(env.DB, now)).toBe(false);
  });

  it("is true while a pending delivery has failed 3 times or more", async () => {
    const now = Date.now();
    await deliveryWith({ status: "pending", attempts: 3, last_attempt_at: now });
    expect(await deliveriesFailing(env.DB, now)).toBe(true);
  });

  it("is true for an hour after a delivery ended failed, and false after that", async () => {
    const now = Date.now();
    await deliveryWith({ status: "failed", attempts: 25, last_attempt_at: now - 30 * 60_000 });
    expect(await deliveriesFailing(env.DB, now)).toBe(true);
    expect(await deliveriesFailing(env.DB, now + 31 * 60_000)).toBe(false);
  });
});

describe("the retention policy's delivery purge", () => {
  it("deletes ended deliveries created before the bound, and keeps pending and newer ones", async () => {
    const { workerEnv } = forwarding();
    const delivered = await walkedDelivery(workerEnv, await insertSettledEvent());
    const pending = await walkedDelivery(workerEnv, await insertSettledEvent());
    await env.DB.prepare("UPDATE deliveries SET status = 'delivered', next_attempt_at = NULL WHERE id = ?1")
      .bind(delivered)
      .run();
    await new Promise((resolve) => setTimeout(resolve, 5));
    const bound = encodeIdTime(Date.now());
    await new Promise((resolve) => setTimeout(resolve, 5));
    const newer = await walkedDelivery(workerEnv, await insertSettledEvent());

    expect(await purgeBounded(env.DB, "deliveries", bound, 1000)).toBeGreaterThanOrEqual(1);

    expect(await readDelivery(delivered)).toBeNull();
    expect(await readDelivery(pending)).toMatchObject({ status: "pending" });
    expect(await readDelivery(newer)).not.toBeNull();
  });
});
