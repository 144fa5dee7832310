/**
 * GET /health/pipeline over HTTP: no token, no figures; 503 with each reason as its condition
 * arises in D1, and 200 again once it is gone. Deliveries count only while forwarding is on.
 */
import { createExecutionContext } from "cloudflare:test";
import { env, exports } from "cloudflare:workers";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { app } from "../src/app";
import { newUlid } from "../src/lib/ids";
import { deliver, insertReceivedEvent, stubOmisell } from "./helpers/followup";
import { TEST_FORWARD_SECRET } from "./helpers/forward";
import { BASE } from "./helpers/read-api";
import { insertReconciledEvent, type RecordedRun, recordCronRun } from "./helpers/reconcile";
import { MINUTE } from "./helpers/time";

/**
 * Freshness has tests of its own (below): elsewhere, the slow settling a test sets up to reach its
 * condition (an event received long ago) must not add the `freshness` reason.
 */
const FRESHNESS_ASIDE = { HEALTH_FRESHNESS_P95_SECONDS: "604800" };

async function health(
  on?: Env,
  vars: Record<string, string> = FRESHNESS_ASIDE,
): Promise<{ status: number; body: unknown; cache: string | null }> {
  const request = new Request(`${BASE}/health/pipeline`);
  const target = { ...(on ?? env), ...vars } as Env;
  const res =
    on || Object.keys(vars).length > 0
      ? await app.fetch(request, target, createExecutionContext())
      : await exports.default.fetch(request);
  return { status: res.status, body: await res.json(), cache: res.headers.get("cache-control") };
}

const ok = { status: 200, body: { status: "ok" } };
const degraded = (...reasons: string[]) => ({ status: 503, body: { status: "degraded", reasons } });

beforeEach(async () => {
  await env.DB.batch([
    env.DB.prepare("DELETE FROM events"),
    env.DB.prepare("DELETE FROM reconcile_runs"),
    env.DB.prepare("DELETE FROM deliveries"),
    env.DB.prepare("DELETE FROM freshness_histogram"),
    env.DB.prepare("DELETE FROM reconcile_gaps"),
  ]);
});

afterEach(() => {
  vi.restoreAllMocks();
});

describe("GET /health/pipeline", () => {
  it("answers 200 ok without a token, and is not cached", async () => {
    await insertReceivedEvent({ receivedAt: Date.now() - MINUTE, status: "processed" });
    const answer = await health(undefined, {});
    expect(answer).toMatchObject(ok);
    expect(answer.cache).toBe("no-store");
  });

  it("turns 503 freshness when the last hour's p95 passes HEALTH_FRESHNESS_P95_SECONDS, and 200 once it is back", async () => {
    const slow = await insertReceivedEvent({ receivedAt: Date.now() - 20 * MINUTE });
    await env.DB.prepare("UPDATE events SET status = 'processed', processed_at = ?2 WHERE id = ?1")
      .bind(slow, Date.now())
      .run();
    expect(await health(undefined, {})).toMatchObject(degraded("freshness"));
    expect(await health(undefined, { HEALTH_FRESHNESS_P95_SECONDS: "1800" })).toMatchObject(ok);

    // 19 events settled within seconds: the slow one is past the 95th percentile.
    for (let i = 0; i < 19; i++) {
      const fast = await insertReceivedEvent({ receivedAt: Date.now() - 2_000 });
      await env.DB.prepare("UPDATE events SET status = 'processed', processed_at = ?2 WHERE id = ?1")
        .bind(fast, Date.now())
        .run();
    }
    expect(await health(undefined, {})).toMatchObject(ok);
  });

  it("turns 503 reconcile_gap with the skipped window's bounds, and nothing else of it", async () => {
    await insertReceivedEvent({ receivedAt: Date.now() - MINUTE, status: "processed" });
    const from = Date.UTC(2026, 10, 30, 10);
    await env.DB.prepare(
      "INSERT INTO reconcile_gaps (window_from, window_to, error, skipped_at) VALUES (?1, ?2, 'order list page 101: safety stop', ?3)",
    )
      .bind(from, from + 60 * MINUTE, Date.now())
      .run();
    const answer = await health(undefined, {});
    expect(answer).toMatchObject({ status: 503 });
    expect(answer.body).toEqual({
      status: "degraded",
      reasons: ["reconcile_gap"],
      reconcile_gaps: [{ from: "2026-11-30T10:00:00.000Z", to: "2026-11-30T11:00:00.000Z" }],
    });
  });

  it("turns 503 backlog_stale on an event waiting over 30 minutes, and 200 once it is processed", async () => {
    const stuck = await insertReceivedEvent({ receivedAt: Date.now() - 31 * MINUTE });
    expect(await health()).toMatchObject(degraded("backlog_stale"));

    await env.DB.prepare("UPDATE events SET status = 'processed', processed_at = ?2 WHERE id = ?1")
      .bind(stuck, Date.now())
      .run();
    expect(await health()).toMatchObject(ok);
  });

  it("turns 503 failures on an event failed within the hour, and 200 once it is replayed", async () => {
    const failed = await insertReceivedEvent({ receivedAt: Date.now() - 2 * 60 * MINUTE });
    stubOmisell(() => new Response("bad request", { status: 400 }));
    await deliver([{ eventId: failed }]);
    expect(await health()).toMatchObject(degraded("failures"));

    await env.DB.prepare("UPDATE events SET status = 'processed' WHERE id = ?1").bind(failed).run();
    expect(await health()).toMatchObject(ok);
  });

  it("turns 503 silence when only reconciliation adds events, and 200 once a push arrives", async () => {
    await insertReconciledEvent("OM-SILENT", Date.now() - 10 * MINUTE, "processed");
    expect(await health()).toMatchObject(degraded("silence"));

    await insertReceivedEvent({ receivedAt: Date.now(), status: "processed" });
    expect(await health()).toMatchObject(ok);
  });

  // `%s`, not `$name`: vitest quotes and shortens `$` values in a test's name.
  it.each<[string, string, Omit<RecordedRun, "at">, Omit<RecordedRun, "at">]>([
    [
      "turns 503 missed_pushes below 90 % coverage, and 200 once coverage is back",
      "missed_pushes",
      { status: "done", ordersListed: 40, missed: 10 },
      { status: "done", ordersListed: 400 },
    ],
    [
      "turns 503 reconcile_stale when the last cron run failed, and 200 after one succeeds",
      "reconcile_stale",
      { status: "failed" },
      { status: "done" },
    ],
  ])("%s", async (_name, reason, bad, good) => {
    await insertReceivedEvent({ receivedAt: Date.now() - MINUTE, status: "processed" });
    await recordCronRun({ ...bad, at: Date.now() - 2 * MINUTE });
    expect(await health()).toMatchObject(degraded(reason));

    await recordCronRun({ ...good, at: Date.now() - MINUTE });
    expect(await health()).toMatchObject(ok);
  });

  describe("deliveries_failing", () => {
    const forwarding = {
      ...env,
      FORWARD_URL: "https://forward.test/hook/health",
      FORWARD_SECRET: TEST_FORWARD_SECRET,
    } as Env;

    async function failingDelivery(): Promise<string> {
      const eventId = await insertReceivedEvent({ receivedAt: Date.now() - MINUTE, status: "processed" });
      const id = newUlid(Date.now());
      await env.DB.prepare(
        `INSERT INTO deliveries (id, event_id, settlement, status, attempts, next_attempt_at, retry_until, created_at)
         VALUES (?1, ?2, 'processed::0', 'pending', 3, ?3, ?3, ?3)`,
      )
        .bind(id, eventId, Date.now())
        .run();
      return id;
    }

    it("turns 503 while forwarding is on and a delivery keeps failing, and 200 once it is delivered", async () => {
      const delivery = await failingDelivery();
      expect(await health(forwarding)).toMatchObject(degraded("deliveries_failing"));

      await env.DB.prepare("UPDATE deliveries SET status = 'delivered', delivered_at = ?2 WHERE id = ?1")
        .bind(delivery, Date.now())
        .run();
      expect(await health(forwarding)).toMatchObject(ok);
    });

    it("ignores deliveries while forwarding is off", async () => {
      await failingDelivery();
      expect(await health()).toMatchObject(ok);
    });
  });
});
