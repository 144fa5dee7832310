/**
 * Two defects of the v2 retention, each driven through the cron handler as it runs every minute:
 * a just-replayed old event was settled `failed` by retention (cancelling the replay the API had
 * answered `queued`), and the delivery purge deleted `pending` deliveries, after which their
 * event went too and the queued attempt found nothing: no `failed` anywhere, nothing visible.
 */
import { createScheduledController } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import { runScheduled } from "../src/cron/scheduled";
import { replayEvent } from "../src/followup/replay";
import { newUlid } from "../src/lib/ids";
import { insertReceivedEvent, readEvent } from "./helpers/followup";
import { readDelivery } from "./helpers/forward";
import { DAY, MINUTE } from "./helpers/time";

afterEach(() => {
  vi.restoreAllMocks();
});

/** The cron as the worker runs it, without reconciliation (not what these tests are about). */
function runCron(at: number, vars: Record<string, string> = {}) {
  const cronEnv = { ...env, RECONCILE_EVERY_MINUTES: "0", ...vars } as Env;
  return runScheduled(createScheduledController({ scheduledTime: at, cron: "* * * * *" }), cronEnv);
}

describe("retention and an old event replayed just now", () => {
  it("leaves the replay to run instead of settling the event failed", async () => {
    const now = Date.now();
    const old = await insertReceivedEvent({ receivedAt: now - 91 * DAY, status: "failed" });
    await env.DB.prepare("UPDATE events SET processed_at = ?2, attempts = 9 WHERE id = ?1")
      .bind(old, now - 90 * DAY)
      .run();
    // The replay's message is kept off the queue, so no consumer settles the event meanwhile.
    const sent = vi.spyOn(env.FOLLOWUPS, "send").mockResolvedValue({} as QueueSendResponse);

    const replayed = await replayEvent(env, old);
    expect(replayed).toMatchObject({ enqueued: true, delivery: "queued" });
    expect(sent).toHaveBeenCalledTimes(1);

    await runCron(Date.now());

    const after = await readEvent(old);
    expect(after?.status).toBe("received");
    expect(after?.last_error ?? "").not.toContain("retention");
  });
});

describe("retention and deliveries still being retried", () => {
  it("never deletes a pending delivery, nor its event, when RETENTION_DAYS is shorter than the retry window", async () => {
    const now = Date.now();
    const eventId = await insertReceivedEvent({ receivedAt: now - 2 * DAY - MINUTE, status: "processed" });
    await env.DB.prepare("UPDATE events SET processed_at = ?2 WHERE id = ?1")
      .bind(eventId, now - 2 * DAY)
      .run();
    const deliveryId = newUlid(now - 2 * DAY);
    await env.DB.prepare(
      `INSERT INTO deliveries (id, event_id, settlement, status, attempts, next_attempt_at, retry_until, created_at)
       VALUES (?1, ?2, 'processed:1', 'pending', 12, ?3, ?4, ?5)`,
    )
      .bind(deliveryId, eventId, now + 6 * 60 * MINUTE, now + DAY, now - 2 * DAY)
      .run();

    await runCron(now, { RETENTION_DAYS: "1" });
    await runCron(now + MINUTE, { RETENTION_DAYS: "1" });

    expect(await readDelivery(deliveryId)).toMatchObject({ status: "pending", attempts: 12 });
    expect(await readEvent(eventId)).toMatchObject({ status: "processed" });
  });
});
