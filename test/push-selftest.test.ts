/**
 * The doctor's self-test push (event `omisell_push.selftest`): stored once with source `selftest`
 * and answered `accepted`, then `duplicate` on a resend; settled `skipped` as it arrives and never
 * followed up, replayed, forwarded or counted in the stats; purged a day after it arrived.
 */
import { env } from "cloudflare:workers";
import { describe, expect, it, vi } from "vitest";
import { SELFTEST_EVENT } from "../src/events/vocabulary";
import { encodeIdTime } from "../src/lib/ids";
import { SELFTEST_SKIP_REASON } from "../src/push/event-row";
import { livePushSteps, type PushSteps } from "../src/push/ingest";
import { liveRetentionDeps } from "../src/retention/deps";
import { SELFTEST_KEEP_MS } from "../src/retention/policy";
import { runRetention } from "../src/retention/run";
import { rollUpEvents } from "../src/store/event-counts";
import { consumerFrontier } from "../src/store/followup-state";
import { readPipelineFacts } from "../src/store/pipeline-health";
import { RETENTION_SQL } from "../src/store/retention";
import { readEventStats } from "../src/store/stats";
import {
  deliveriesOf,
  forwardEnv,
  forwardVars,
  insertSettledEvent,
  newScenario,
  recordingQueue,
  walk,
} from "./helpers/forward";
import { eventRow, fetchWithEnv, samplePush, sendPush, signedRequest } from "./helpers/push";
import { planOf } from "./helpers/query-plan";
import { ADMIN_TOKEN, apiPost, BASE, storeEvent } from "./helpers/read-api";

const HOUR = 3_600_000;

function selftestBody() {
  return {
    event: SELFTEST_EVENT,
    request_id: `selftest-${crypto.randomUUID()}`,
    timestamp: Math.floor(Date.now() / 1000),
  };
}

/** Push steps that record which events the push path sent a follow-up for. */
function recordingSteps(): { steps: PushSteps; enqueued: string[] } {
  const enqueued: string[] = [];
  const steps: PushSteps = {
    ...livePushSteps,
    enqueue: async (queue, eventId, ...rest) => {
      enqueued.push(eventId);
      return livePushSteps.enqueue(queue, eventId, ...rest);
    },
  };
  return { steps, enqueued };
}

async function sendSelftest(body = selftestBody(), steps?: PushSteps) {
  return fetchWithEnv(await signedRequest(body), {}, steps);
}

describe("the self-test push", () => {
  it("is stored once as a selftest, settled skipped with its reason, and answered accepted then duplicate", async () => {
    const body = selftestBody();
    const first = await sendSelftest(body);
    expect(first.status).toBe(200);
    expect(first.headers.get("Push-Status")).toBe("accepted");
    const id = first.headers.get("Push-Event-Id") as string;
    const second = await sendSelftest(body);
    expect(second.headers.get("Push-Status")).toBe("duplicate");
    expect(second.headers.get("Push-Event-Id")).toBe(id);
    const row = await eventRow(id);
    expect(row).toMatchObject({
      source: "selftest",
      status: "skipped",
      event: SELFTEST_EVENT,
      last_error: SELFTEST_SKIP_REASON,
      signature_valid: 1,
      attempts: 0,
    });
    expect(row?.processed_at).toBe(row?.received_at);
    const copies = await env.DB.prepare("SELECT COUNT(*) AS n FROM events WHERE dedupe_key = ?1")
      .bind(body.request_id)
      .first<{ n: number }>();
    expect(copies?.n).toBe(1);
  });

  it("is never followed up: the push path sends no message for it (a normal push's is sent)", async () => {
    const { steps, enqueued } = recordingSteps();
    const selftest = await sendSelftest(selftestBody(), steps);
    await sendSelftest(selftestBody(), steps);
    const normal = await fetchWithEnv(await signedRequest(samplePush()), {}, steps);
    expect(enqueued).toEqual([normal.headers.get("Push-Event-Id")]);
    expect(enqueued).not.toContain(selftest.headers.get("Push-Event-Id"));
  });

  it("is not replayed, one by one or in bulk", async () => {
    const id = (await sendSelftest()).headers.get("Push-Event-Id") as string;
    const res = await apiPost(`/api/events/${id}/replay`, ADMIN_TOKEN);
    expect(res.status).toBe(409);
    expect(await res.json()).toMatchObject({
      error: "not_replayable",
      message: "a self-test push has no follow-up to replay",
    });
    const bulk = await fetchWithEnv(
      new Request(`${BASE}/api/events/replay`, {
        method: "POST",
        headers: { authorization: `Bearer ${ADMIN_TOKEN}`, "content-type": "application/json" },
        body: JSON.stringify({ event: SELFTEST_EVENT }),
      }),
      {},
    );
    expect(await bulk.json()).toMatchObject({ matched: 0 });
    expect(await eventRow(id)).toMatchObject({ status: "skipped", source: "selftest" });
  });

  it("is never forwarded: the destinations' walk of the feed creates no delivery of it", async () => {
    const scenario = await newScenario();
    const { queue } = recordingQueue();
    const workerEnv = forwardEnv(forwardVars(scenario), queue);
    const selftest = (await sendSelftest()).headers.get("Push-Event-Id") as string;
    const settled = await insertSettledEvent("processed");
    await walk(workerEnv);
    expect(await deliveriesOf(selftest)).toEqual([]);
    expect(await deliveriesOf(settled)).toHaveLength(1);
  });

  it("is left out of the stats: the rollup, the live tail, the last push and the consumer's frontier", async () => {
    const windowStart = Date.now() - 23 * HOUR;
    const before = await readEventStats(env.DB, windowStart);
    const frontierBefore = await consumerFrontier(env.DB);
    const selftest = (await sendSelftest()).headers.get("Push-Event-Id") as string;
    // Counted live (above the rollup's watermark): nothing changes.
    const live = await readEventStats(env.DB, windowStart);
    expect(live.byStatus).toEqual(before.byStatus);
    expect(live.byEvent).toEqual(before.byEvent);
    expect(live.hourly).toEqual(before.hourly);
    expect(live.lastReceived?.id).not.toBe(selftest);
    // Rolled up: no count of its own, and the watermark moved past it.
    await rollUpEvents(env.DB, 5_000, Date.now());
    const counts = await env.DB.prepare("SELECT COUNT(*) AS n FROM event_counts WHERE event = ?1")
      .bind(SELFTEST_EVENT)
      .first<{ n: number }>();
    expect(counts?.n).toBe(0);
    const rolled = await readEventStats(env.DB, windowStart);
    expect(rolled.byEvent.find((e) => e.event === SELFTEST_EVENT)).toBeUndefined();
    expect(await consumerFrontier(env.DB)).toBe(frontierBefore);
    const facts = await readPipelineFacts(env.DB, {
      silenceSinceId: encodeIdTime(Date.now() - HOUR),
      coverageSinceId: encodeIdTime(Date.now() - HOUR),
      reconcileEvent: "order.reconciled",
      freshnessFirstSlot: 0,
    });
    const row = await eventRow(selftest);
    expect(facts.lastPushAt).not.toBe(row?.received_at);
  });

  it("is purged a day after it arrived, without touching other events of that age", async () => {
    const now = Date.now();
    const old = await storeEvent({
      source: "selftest",
      status: "skipped",
      event: SELFTEST_EVENT,
      at: now - SELFTEST_KEEP_MS - HOUR,
    });
    const young = await storeEvent({
      source: "selftest",
      status: "skipped",
      event: SELFTEST_EVENT,
      at: now - SELFTEST_KEEP_MS + HOUR,
    });
    const push = await storeEvent({ status: "processed", at: now - SELFTEST_KEEP_MS - HOUR });
    const outcome = await runRetention(liveRetentionDeps(env), now);
    if (!outcome.ran) throw new Error("the retention run did not start");
    expect(outcome.removed.selftest_events).toBeGreaterThanOrEqual(1);
    expect(await eventRow(old.id)).toBeNull();
    expect(await eventRow(young.id)).not.toBeNull();
    expect(await eventRow(push.id)).not.toBeNull();
  });

  it("is purged down its own partial index, never by walking the events", async () => {
    const plan = await planOf(RETENTION_SQL.selftestEvents, [encodeIdTime(Date.now()), 500]);
    expect(plan.join(" | ")).toContain("events_selftest");
    expect(plan.filter((step) => /^SCAN events\b/.test(step) && !/INDEX/.test(step))).toEqual([]);
  });

  it("is a self-test only by its exact event name: a look-alike is an ordinary push", async () => {
    const res = await sendPush(samplePush("omisell_push.selftest2"));
    const row = await eventRow(res.headers.get("Push-Event-Id") as string);
    expect(row).toMatchObject({ source: "push", status: "received" });
    vi.restoreAllMocks();
  });
});
