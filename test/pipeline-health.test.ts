/**
 * Pipeline health: the pure evaluator for each reason and back to ok, and the facts it is given,
 * read from D1 (events and reconciliation runs).
 */
import { env } from "cloudflare:workers";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { checkPipelineHealth, evaluatePipeline, type PipelineInputs } from "../src/health/pipeline";
import { reopenEventForReplay } from "../src/store/followup-state";
import { PIPELINE_HEALTH_SQL } from "../src/store/pipeline-health";
import { deliver, insertReceivedEvent, readEvent, stubOmisell } from "./helpers/followup";
import { planOf } from "./helpers/query-plan";
import { insertReconciledEvent, recordCronRun, recordRun } from "./helpers/reconcile";
import { MINUTE } from "./helpers/time";

afterEach(() => {
  vi.restoreAllMocks();
});

const NOW = Date.UTC(2026, 10, 30, 12, 0, 0);
const THRESHOLDS = {
  reconcileEveryMs: 15 * MINUTE,
  backlogMaxMs: 30 * MINUTE,
  failuresWindowMs: 60 * MINUTE,
  silenceMs: 120 * MINUTE,
  minCoverage: 0.9,
  minListed: 20,
  freshnessP95Seconds: 600,
};

/** A healthy pipeline: pushes flowing, nothing waiting long, reconciliation recent and clean. */
function healthy(overrides: Partial<PipelineInputs> = {}): PipelineInputs {
  return {
    oldestReceivedAt: NOW - MINUTE,
    lastFailureAt: null,
    lastPushAt: NOW - MINUTE,
    lastMissedAt: null,
    coverage: { listed: 100, missed: 2 },
    lastCronRun: { status: "done", finished_at: NOW - 5 * MINUTE },
    lastCronSuccessAt: NOW - 5 * MINUTE,
    deliveriesFailing: false,
    archiveOutcomes: ["ok", "idle", "ok"],
    freshness: [],
    freshnessP95Seconds: 40,
    reconcileGaps: [],
    ...overrides,
  };
}

const reasonsOf = (inputs: PipelineInputs, thresholds = THRESHOLDS) => {
  const health = evaluatePipeline(inputs, thresholds, NOW);
  return health.status === "ok" ? [] : health.reasons;
};

describe("the pipeline health evaluator", () => {
  it("answers ok, and nothing else, when every check passes", () => {
    expect(evaluatePipeline(healthy(), THRESHOLDS, NOW)).toEqual({ status: "ok" });
  });

  it("reports backlog_stale once the oldest waiting event is older than the backlog limit", () => {
    expect(reasonsOf(healthy({ oldestReceivedAt: NOW - 30 * MINUTE }))).toEqual([]);
    expect(reasonsOf(healthy({ oldestReceivedAt: NOW - 30 * MINUTE - 1 }))).toEqual(["backlog_stale"]);
  });

  it("reports failures for an event that failed within the failure window, not before", () => {
    expect(reasonsOf(healthy({ lastFailureAt: NOW - 60 * MINUTE }))).toEqual(["failures"]);
    expect(reasonsOf(healthy({ lastFailureAt: NOW - 60 * MINUTE - 1 }))).toEqual([]);
  });

  it("reports silence when no push came while reconciliation found missed changes", () => {
    const quiet = { lastPushAt: NOW - 121 * MINUTE };
    expect(reasonsOf(healthy({ ...quiet, lastMissedAt: NOW - 10 * MINUTE }))).toEqual(["silence"]);
    expect(reasonsOf(healthy({ lastPushAt: null, lastMissedAt: NOW - 10 * MINUTE }))).toEqual(["silence"]);
  });

  it("does not call a quiet shop silent when reconciliation found nothing missed", () => {
    expect(reasonsOf(healthy({ lastPushAt: NOW - 121 * MINUTE, lastMissedAt: NOW - 121 * MINUTE }))).toEqual([]);
    expect(reasonsOf(healthy({ lastPushAt: null, lastMissedAt: null }))).toEqual([]);
  });

  it("reports missed_pushes when coverage is below the minimum over enough listed changes", () => {
    expect(reasonsOf(healthy({ coverage: { listed: 20, missed: 3 } }))).toEqual(["missed_pushes"]);
    expect(reasonsOf(healthy({ coverage: { listed: 20, missed: 2 } }))).toEqual([]);
    expect(reasonsOf(healthy({ coverage: { listed: 19, missed: 19 } }))).toEqual([]);
  });

  it("reports reconcile_stale when the last run failed", () => {
    expect(reasonsOf(healthy({ lastCronRun: { status: "failed", finished_at: NOW - MINUTE } }))).toEqual([
      "reconcile_stale",
    ]);
  });

  it("reports reconcile_stale when the last success is older than three periods and ten minutes", () => {
    expect(reasonsOf(healthy({ lastCronSuccessAt: NOW - 55 * MINUTE }))).toEqual([]);
    expect(reasonsOf(healthy({ lastCronSuccessAt: NOW - 55 * MINUTE - 1 }))).toEqual(["reconcile_stale"]);
  });

  it("does not report reconcile_stale when reconciliation is off or has never run", () => {
    const failed = healthy({ lastCronRun: { status: "failed", finished_at: NOW - MINUTE } });
    expect(reasonsOf(failed, { ...THRESHOLDS, reconcileEveryMs: 0 })).toEqual([]);
    expect(reasonsOf(healthy({ lastCronRun: null, lastCronSuccessAt: null }))).toEqual([]);
  });

  it("reports deliveries_failing when forwarding says so", () => {
    expect(reasonsOf(healthy({ deliveriesFailing: true }))).toEqual(["deliveries_failing"]);
  });

  it("reports archive_failing only when the last 3 retention runs all failed to write to ARCHIVE", () => {
    expect(reasonsOf(healthy({ archiveOutcomes: ["failed", "failed", "failed"] }))).toEqual(["archive_failing"]);
    expect(reasonsOf(healthy({ archiveOutcomes: ["failed", "failed", "ok"] }))).toEqual([]);
    expect(reasonsOf(healthy({ archiveOutcomes: ["failed", "failed"] }))).toEqual([]);
    expect(reasonsOf(healthy({ archiveOutcomes: ["failed", "off", "failed"] }))).toEqual([]);
  });

  it("reports freshness once the last hour's p95 is above the threshold, not at it", () => {
    expect(reasonsOf(healthy({ freshnessP95Seconds: 600 }))).toEqual([]);
    expect(reasonsOf(healthy({ freshnessP95Seconds: 900 }))).toEqual(["freshness"]);
    expect(reasonsOf(healthy({ freshnessP95Seconds: 900 }), { ...THRESHOLDS, freshnessP95Seconds: 900 })).toEqual([]);
  });

  it("does not report freshness when nothing settled in the last hour", () => {
    expect(reasonsOf(healthy({ freshnessP95Seconds: null }))).toEqual([]);
  });

  it("reports reconcile_gap and names the skipped windows by their bounds only", () => {
    const gap = { from: NOW - 3 * 60 * MINUTE, to: NOW - 2 * 60 * MINUTE };
    expect(evaluatePipeline(healthy({ reconcileGaps: [gap] }), THRESHOLDS, NOW)).toEqual({
      status: "degraded",
      reasons: ["reconcile_gap"],
      reconcileGaps: [gap],
    });
  });

  it("lists every reason that holds, in a fixed order, with no figures", () => {
    const gap = { from: NOW - 3 * 60 * MINUTE, to: NOW - 2 * 60 * MINUTE };
    const health = evaluatePipeline(
      {
        oldestReceivedAt: NOW - 2 * 60 * MINUTE,
        lastFailureAt: NOW - MINUTE,
        lastPushAt: null,
        lastMissedAt: NOW - MINUTE,
        coverage: { listed: 50, missed: 50 },
        lastCronRun: { status: "failed", finished_at: NOW },
        lastCronSuccessAt: null,
        deliveriesFailing: true,
        archiveOutcomes: ["failed", "failed", "failed"],
        freshness: [],
        freshnessP95Seconds: 3600,
        reconcileGaps: [gap],
      },
      THRESHOLDS,
      NOW,
    );
    expect(health).toEqual({
      status: "degraded",
      reasons: [
        "backlog_stale",
        "failures",
        "silence",
        "missed_pushes",
        "reconcile_stale",
        "deliveries_failing",
        "archive_failing",
        "freshness",
        "reconcile_gap",
      ],
      reconcileGaps: [gap],
    });
  });
});

describe("pipeline health read from D1", () => {
  beforeEach(async () => {
    await env.DB.batch([
      env.DB.prepare("DELETE FROM events"),
      env.DB.prepare("DELETE FROM reconcile_runs"),
      env.DB.prepare("DELETE FROM freshness_histogram"),
      env.DB.prepare("DELETE FROM reconcile_gaps"),
    ]);
  });

  const check = (now: number) => checkPipelineHealth(env, now, { deliveriesFailing: false });

  it("is ok with recent pushes processed", async () => {
    const now = Date.now();
    await insertReceivedEvent({ receivedAt: now - MINUTE, status: "processed" });
    expect(await check(now)).toEqual({ status: "ok" });
  });

  it("goes degraded on a stale backlog; once processed, only its slow settling shows (freshness)", async () => {
    const now = Date.now();
    const stuck = await insertReceivedEvent({ receivedAt: now - 31 * MINUTE });
    expect(await check(now)).toEqual({ status: "degraded", reasons: ["backlog_stale"] });

    await env.DB.prepare("UPDATE events SET status = 'processed', processed_at = ?2 WHERE id = ?1")
      .bind(stuck, now)
      .run();
    // 31 minutes from arrival to settled: the last hour's p95 is in the (1800, 2700] s bucket.
    expect(await check(now)).toEqual({ status: "degraded", reasons: ["freshness"] });
    expect(await check(now + 2 * 60 * MINUTE)).toEqual({ status: "ok" });
  });

  it("dates a failure by when it failed, not by when the event arrived", async () => {
    const now = Date.now();
    const failed = await insertReceivedEvent({ receivedAt: now - 5 * 60 * MINUTE });
    stubOmisell(() => new Response("bad request", { status: 400 }));
    await deliver([{ eventId: failed }]);

    const row = await readEvent(failed);
    expect(row).toMatchObject({ status: "failed" });
    expect(row?.processed_at).toBeGreaterThanOrEqual(now);
    // Five hours from arrival to failed is slow too.
    expect(await check(Date.now())).toEqual({ status: "degraded", reasons: ["failures", "freshness"] });
  });

  it("dates a dead-lettered event by when the queue gave up on it", async () => {
    const now = Date.now();
    const failed = await insertReceivedEvent({ receivedAt: now - 5 * 60 * MINUTE, attempts: 8 });
    await deliver([{ eventId: failed }], "omisell-followups-dlq");

    const row = await readEvent(failed);
    expect(row).toMatchObject({ status: "failed" });
    expect(row?.processed_at).toBeGreaterThanOrEqual(now);
    expect(await check(Date.now())).toEqual({ status: "degraded", reasons: ["failures", "freshness"] });
  });

  it("stays ok when an event failed long ago", async () => {
    const failed = await insertReceivedEvent({ receivedAt: Date.now() - 5 * 60 * MINUTE });
    stubOmisell(() => new Response("bad request", { status: 400 }));
    await deliver([{ eventId: failed }]);

    const later = await check(Date.now() + 2 * 60 * MINUTE);
    expect("reasons" in later ? later.reasons : []).not.toContain("failures");
  });

  it("does not call a replay of an old event a stale backlog", async () => {
    const now = Date.now();
    const old = await insertReceivedEvent({ receivedAt: now - 5 * 60 * MINUTE, status: "processed" });
    await insertReceivedEvent({ receivedAt: now - MINUTE, status: "processed" });
    await reopenEventForReplay(env.DB, old, now - MINUTE);

    expect(await check(now)).toEqual({ status: "ok" });
  });

  it("still calls a replay waiting longer than the backlog bound a stale backlog", async () => {
    const now = Date.now();
    const old = await insertReceivedEvent({ receivedAt: now - 5 * 60 * MINUTE, status: "processed" });
    await insertReceivedEvent({ receivedAt: now - MINUTE, status: "processed" });
    await reopenEventForReplay(env.DB, old, now - 31 * MINUTE);

    expect(await check(now)).toEqual({ status: "degraded", reasons: ["backlog_stale"] });
  });

  it("finds a stuck event behind a fresh replay of an older one", async () => {
    const now = Date.now();
    const old = await insertReceivedEvent({ receivedAt: now - 5 * 60 * MINUTE, status: "processed" });
    await insertReceivedEvent({ receivedAt: now - 40 * MINUTE });
    await insertReceivedEvent({ receivedAt: now - MINUTE, status: "processed" });
    await reopenEventForReplay(env.DB, old, now - MINUTE);

    expect(await check(now)).toEqual({ status: "degraded", reasons: ["backlog_stale"] });
  });

  it("reads silence from the pushes and the events reconciliation added", async () => {
    const now = Date.now();
    await insertReceivedEvent({ receivedAt: now - 3 * 60 * MINUTE, status: "processed" });
    await insertReconciledEvent("OM-H", now - 10 * MINUTE, "processed");
    expect(await check(now)).toEqual({ status: "degraded", reasons: ["silence"] });

    await insertReceivedEvent({ receivedAt: now - MINUTE, status: "processed" });
    expect(await check(now)).toEqual({ status: "ok" });
  });

  it("reads coverage and the last run from the recorded cron runs", async () => {
    const now = Date.now();
    await insertReceivedEvent({ receivedAt: now - MINUTE, status: "processed" });
    await recordCronRun({ status: "done", ordersListed: 40, missed: 10, at: now - 30 * MINUTE });
    expect(await check(now)).toEqual({ status: "degraded", reasons: ["missed_pushes"] });

    await recordCronRun({ status: "failed", at: now - 15 * MINUTE });
    expect(await check(now)).toEqual({ status: "degraded", reasons: ["missed_pushes", "reconcile_stale"] });

    await recordCronRun({ status: "done", ordersListed: 400, at: now - MINUTE });
    expect(await check(now)).toEqual({ status: "ok" });
  });

  it("counts a manual run's listed and missed changes toward coverage, as the stats do", async () => {
    const now = Date.now();
    await insertReceivedEvent({ receivedAt: now - MINUTE, status: "processed" });
    await recordCronRun({ status: "done", ordersListed: 0, at: now - 20 * MINUTE });
    expect(await check(now)).toEqual({ status: "ok" });

    await recordRun("manual", { status: "done", ordersListed: 20, missed: 4, at: now - 5 * MINUTE });
    expect(await check(now)).toEqual({ status: "degraded", reasons: ["missed_pushes"] });
  });
});

describe("the pipeline reads", () => {
  const planText = async (sql: string) => (await planOf(sql)).join(" | ");

  it("find the longest-waiting event with one seek on events_waiting_since, no sort", async () => {
    const plan = await planText(PIPELINE_HEALTH_SQL.oldestReceived);
    expect(plan).toContain("events_waiting_since");
    expect(plan).not.toContain("TEMP B-TREE");
  });

  it("find the newest failure with one seek on events_failed_by_time, no sort", async () => {
    const plan = await planText(PIPELINE_HEALTH_SQL.lastFailure);
    expect(plan).toContain("events_failed_by_time");
    expect(plan).not.toContain("TEMP B-TREE");
  });
});
