/** The every-minute cron (wrangler.toml [triggers]): its jobs, each independent of the others. */
import { readConfig } from "../config";
import { describeError } from "../errors";
import { type BackfillDeps, backfillDetails, liveBackfillDeps } from "../followup/backfill";
import { continueReplays } from "../followup/bulk-replay";
import { encodeIdTime } from "../lib/ids";
import { log } from "../lib/log";
import { liveReconcileDeps } from "../reconcile/deps";
import { advanceManualRuns } from "../reconcile/manual";
import { type ReconcileDeps, runReconciliation } from "../reconcile/run";
import { purgeRunsBefore } from "../store/reconcile";
import { runForwardingCron } from "./forwarding";
import { purgePastRetention } from "./retention";
import { rollUpEventCounts } from "./rollup";
import { sweepStuckFollowups } from "./sweeper";

/** Runs deleted per invocation; a backlog is finished by the following ones. */
const RUN_PURGE_LIMIT = 500;

/** Reconciliation runs older than RETENTION_DAYS, like the events they counted. */
async function purgeOldRuns(env: Env, now: number): Promise<number> {
  const cutoff = now - readConfig(env).retention.retentionMs;
  return purgeRunsBefore(env.DB, encodeIdTime(cutoff), RUN_PURGE_LIMIT);
}

/** The periodic run first (it keeps the checkpoint), then manual runs with what is left of the minute. */
async function reconcile(env: Env, deps: ReconcileDeps, now: number): Promise<void> {
  let failure: unknown = null;
  try {
    await runReconciliation(env, deps, now);
  } catch (err) {
    failure = err; // logged by the caller, after the manual runs had their turn
  }
  await advanceManualRuns(env, deps, now);
  if (failure !== null) throw failure;
}

export type ScheduledOptions = { reconcileDeps?: ReconcileDeps; backfillDeps?: BackfillDeps };

/**
 * Runs the jobs side by side: re-enqueue stuck follow-ups, the next chunks of unfinished bulk
 * replays, purge what is past retention (reconciliation runs included), roll new events up into
 * the stats' counts, forwarding's catch-up, sweep and purge, reconcile missed pushes (the
 * periodic run when it is due, then the next windows of manual runs), and the detail backfill of
 * orders settled from the order list. Each job runs whatever the
 * others do; a failure is logged under the job's name, and the first one is thrown at the end.
 */
export async function runScheduled(
  controller: ScheduledController,
  env: Env,
  options: ScheduledOptions = {},
): Promise<void> {
  const now = controller.scheduledTime;
  // Async, so a job that throws before its first await still lets the others run.
  const jobs: [string, () => Promise<unknown>][] = [
    ["sweep", async () => sweepStuckFollowups(env, now)],
    ["replays", async () => continueReplays(env, now)],
    ["purge", async () => purgePastRetention(env, now)],
    ["purge_runs", async () => purgeOldRuns(env, now)],
    ["rollup", async () => rollUpEventCounts(env, now)],
    ["reconcile", async () => reconcile(env, options.reconcileDeps ?? liveReconcileDeps(env), now)],
    ["forwarding", async () => runForwardingCron(env, now)],
    ["backfill", async () => backfillDetails(options.backfillDeps ?? liveBackfillDeps(env))],
  ];
  const outcomes = await Promise.allSettled(jobs.map(([, job]) => job()));
  const failures = outcomes.flatMap((outcome, i) =>
    outcome.status === "rejected" ? [[jobs[i]?.[0], outcome] as const] : [],
  );
  for (const [name, outcome] of failures) log("error", `${name}_failed`, { error: describeError(outcome.reason) });
  // Still fail the invocation, so the cron's own status shows the problem.
  const first = failures[0];
  if (first) throw first[1].reason;
}
