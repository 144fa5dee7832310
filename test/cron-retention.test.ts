/**
 * Retention never purges an event unseen: one still waiting for its follow-up past the cutoff is
 * settled `failed` first and purged a day later; one whose follow-up is in progress (just
 * replayed) is kept until it settles.
 */
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import { newUlid } from "../src/lib/ids";
import { liveRetentionDeps } from "../src/retention/deps";
import { SETTLED_GRACE_MS } from "../src/retention/events";
import { runRetention } from "../src/retention/run";
import { insertReceivedEvent, readEvent } from "./helpers/followup";

afterEach(() => {
  vi.restoreAllMocks();
});

/** One run of the retention policy at `now`, with the worker's deps; the rows removed by kind. */
async function purgePastRetention(workerEnv: Env, now: number) {
  const outcome = await runRetention(liveRetentionDeps(workerEnv), now);
  if (!outcome.ran) throw new Error("the retention run did not start");
  expect(outcome.failures).toEqual([]);
  return outcome.removed;
}

const MINUTE = 60_000;
const DAY = 86_400_000;

describe("the retention purge and events still waiting for their follow-up", () => {
  it("settles an idle waiting event failed with the reason instead of deleting it", async () => {
    const now = Date.now();
    const waiting = await insertReceivedEvent({ receivedAt: now - 91 * DAY });

    await purgePastRetention(env, now);

    expect(await readEvent(waiting)).toMatchObject({
      status: "failed",
      last_error: expect.stringContaining("retention: follow-up never completed"),
      processed_at: now,
    });
  });

  it("purges the settled event on a run a day later", async () => {
    const now = Date.now();
    const waiting = await insertReceivedEvent({ receivedAt: now - 91 * DAY });
    await purgePastRetention(env, now);

    await purgePastRetention(env, now + MINUTE);
    expect(await readEvent(waiting)).not.toBeNull();

    await purgePastRetention(env, now + SETTLED_GRACE_MS + MINUTE);
    expect(await readEvent(waiting)).toBeNull();
  });

  it("keeps an event replayed just before its age crossed the cutoff, still received", async () => {
    const now = Date.now();
    const replayed = await insertReceivedEvent({ receivedAt: now - 91 * DAY });
    await env.DB.prepare("UPDATE events SET next_attempt_at = ?2, generation = 1 WHERE id = ?1")
      .bind(replayed, now - MINUTE)
      .run();

    await purgePastRetention(env, now);

    expect(await readEvent(replayed)).toMatchObject({ status: "received", generation: 1 });
  });

  it("keeps an event settled again by a replay for a day after it settled", async () => {
    const now = Date.now();
    const replayed = await insertReceivedEvent({ receivedAt: now - 91 * DAY, status: "processed" });
    await env.DB.prepare("UPDATE events SET processed_at = ?2 WHERE id = ?1")
      .bind(replayed, now - MINUTE)
      .run();

    await purgePastRetention(env, now);

    expect(await readEvent(replayed)).toMatchObject({ status: "processed" });
  });

  it("still deletes an old settled event at once", async () => {
    const now = Date.now();
    const old = await insertReceivedEvent({ receivedAt: now - 91 * DAY, status: "failed" });

    const counts = await purgePastRetention(env, now);

    expect(await readEvent(old)).toBeNull();
    expect(counts.events).toBeGreaterThanOrEqual(1);
  });
});

describe("the retention purge and deliveries still being retried", () => {
  async function insertDelivery(eventId: string, status: "pending" | "delivered" | "failed") {
    const now = Date.now();
    await env.DB.prepare(
      `INSERT INTO deliveries (id, event_id, settlement, status, attempts, next_attempt_at, retry_until, created_at)
       VALUES (?1, ?2, ?1, ?3, 2, ?4, ?5, ?6)`,
    )
      .bind(newUlid(now), eventId, status, status === "pending" ? now + MINUTE : null, now + 3 * DAY, now)
      .run();
  }

  it("keeps an old settled event while its delivery is pending", async () => {
    const now = Date.now();
    const old = await insertReceivedEvent({ receivedAt: now - 91 * DAY, status: "failed" });
    await insertDelivery(old, "pending");

    await purgePastRetention(env, now);

    expect(await readEvent(old)).toMatchObject({ status: "failed" });
  });

  it("purges an old settled event whose deliveries have all ended", async () => {
    const now = Date.now();
    const old = await insertReceivedEvent({ receivedAt: now - 91 * DAY, status: "failed" });
    await insertDelivery(old, "delivered");
    await insertDelivery(old, "failed");

    await purgePastRetention(env, now);

    expect(await readEvent(old)).toBeNull();
  });
});
