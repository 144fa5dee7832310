/** Pipeline health for uptime monitors: `ok`, or `degraded` with the reasons, never a figure. */
import { type Config, readConfig } from "../config";
import { addCounts, percentileOf } from "../lib/freshness-buckets";
import { encodeIdTime } from "../lib/ids";
import { pushCoverage } from "../reconcile/figures";
import { RECONCILE_EVENT } from "../reconcile/missed";
import { slotOf } from "../store/freshness";
import { ARCHIVE_FAILING_RUNS, type PipelineFacts, readPipelineFacts } from "../store/pipeline-health";
import type { ArchiveOutcome } from "../store/retention-runs";
import { deliveriesFailingNow } from "./deliveries";

export const PIPELINE_REASONS = [
  "backlog_stale",
  "failures",
  "silence",
  "missed_pushes",
  "reconcile_stale",
  "deliveries_failing",
  "archive_failing",
  "freshness",
  "reconcile_gap",
] as const;
export type PipelineReason = (typeof PIPELINE_REASONS)[number];

/** A reconciliation window the cron gave up on (ms, inclusive bounds). */
export type ReconcileGap = { from: number; to: number };

/**
 * `reconcileGaps` names the windows behind `reconcile_gap` (at most 5, oldest first): their bounds
 * are times, not volume, so the public answer may carry them.
 */
export type PipelineHealth =
  | { status: "ok" }
  | { status: "degraded"; reasons: PipelineReason[]; reconcileGaps?: ReconcileGap[] };

const MINUTE_MS = 60_000;
const HOUR_MS = 60 * MINUTE_MS;
const DAY_MS = 86_400_000;
/** The health section, and reconciliation's period (a run is stale after three periods). */
type Thresholds = Config["health"] & { reconcileEveryMs: number };

export type PipelineInputs = PipelineFacts & {
  /** From forwarding: deliveries to the destination keep failing. */
  deliveriesFailing: boolean;
  /** The last hour's p95 from arrival to settled (seconds, a bucket's upper edge); null when nothing settled. */
  freshnessP95Seconds: number | null;
};

/**
 * Whether writing to ARCHIVE failed in each of the last ARCHIVE_FAILING_RUNS retention runs
 * (newest first): then nothing past retention is being deleted. Pure.
 */
export function isArchiveFailing(outcomes: readonly ArchiveOutcome[]): boolean {
  return outcomes.length >= ARCHIVE_FAILING_RUNS && outcomes.every((outcome) => outcome === "failed");
}

/**
 * The reasons that hold at `now`, in a fixed order. Pure. Reasons only, never a figure: the answer
 * is public and must not reveal business volume.
 */
export function evaluatePipeline(inputs: PipelineInputs, thresholds: Thresholds, now: number): PipelineHealth {
  const reasons: PipelineReason[] = [];
  if (inputs.oldestReceivedAt !== null && now - inputs.oldestReceivedAt > thresholds.backlogMaxMs) {
    reasons.push("backlog_stale");
  }
  if (inputs.lastFailureAt !== null && inputs.lastFailureAt >= now - thresholds.failuresWindowMs) {
    reasons.push("failures");
  }
  const silenceStart = now - thresholds.silenceMs;
  const silent = inputs.lastPushAt === null || inputs.lastPushAt < silenceStart;
  if (silent && inputs.lastMissedAt !== null && inputs.lastMissedAt >= silenceStart) reasons.push("silence");
  const coverage = pushCoverage(inputs.coverage.listed, inputs.coverage.missed);
  if (coverage !== null && inputs.coverage.listed >= thresholds.minListed && coverage < thresholds.minCoverage) {
    reasons.push("missed_pushes");
  }
  if (thresholds.reconcileEveryMs > 0 && inputs.lastCronRun !== null) {
    const staleBefore = now - (3 * thresholds.reconcileEveryMs + 10 * MINUTE_MS);
    const lastSuccess = inputs.lastCronSuccessAt;
    if (inputs.lastCronRun.status === "failed" || lastSuccess === null || lastSuccess < staleBefore) {
      reasons.push("reconcile_stale");
    }
  }
  if (inputs.deliveriesFailing) reasons.push("deliveries_failing");
  if (isArchiveFailing(inputs.archiveOutcomes)) reasons.push("archive_failing");
  if (inputs.freshnessP95Seconds !== null && inputs.freshnessP95Seconds > thresholds.freshnessP95Seconds) {
    reasons.push("freshness");
  }
  if (inputs.reconcileGaps.length > 0) reasons.push("reconcile_gap");
  if (reasons.length === 0) return { status: "ok" };
  return inputs.reconcileGaps.length > 0
    ? { status: "degraded", reasons, reconcileGaps: inputs.reconcileGaps }
    : { status: "degraded", reasons };
}

/**
 * Reads the facts (a few bounded reads, store/pipeline-health.ts) and evaluates them;
 * `deliveriesFailing` comes from forwarding.
 */
export async function checkPipelineHealth(
  env: Env,
  now: number,
  extra: { deliveriesFailing: boolean },
): Promise<PipelineHealth> {
  const config = readConfig(env);
  const thresholds = { ...config.health, reconcileEveryMs: config.reconcile.everyMs };
  const facts = await readPipelineFacts(env.DB, {
    silenceSinceId: encodeIdTime(now - thresholds.silenceMs),
    coverageSinceId: encodeIdTime(now - DAY_MS),
    reconcileEvent: RECONCILE_EVENT,
    freshnessFirstSlot: slotOf(now - HOUR_MS),
  });
  const histogram = new Map<number, number>();
  addCounts(
    histogram,
    facts.freshness.map((row) => [row.le_seconds, row.n] as const),
  );
  return evaluatePipeline(
    { ...facts, deliveriesFailing: extra.deliveriesFailing, freshnessP95Seconds: percentileOf(histogram, 95) },
    thresholds,
    now,
  );
}

/** The pipeline's health at `now`, with forwarding's part (`deliveriesFailingNow`): what /health/pipeline answers and the alerts watch. */
export async function pipelineHealthNow(env: Env, now: number): Promise<PipelineHealth> {
  return checkPipelineHealth(env, now, { deliveriesFailing: await deliveriesFailingNow(env, now) });
}
