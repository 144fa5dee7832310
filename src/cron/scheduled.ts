/** The every-minute cron (wrangler.toml [triggers]): its jobs, each independent of the others. */
import { runAlerts } from "../alerts/watch";
import { describeError } from "../errors";
import { type BackfillDeps, backfillDetails, liveBackfillDeps } from "../followup/backfill";
import { continueReplays } from "../followup/bulk-replay";
import { log } from "../lib/log";
import { liveReconcileDeps } from "../reconcile/deps";
import { advanceManualRuns } from "../reconcile/manual";
import { type ReconcileDeps, runReconciliation } from "../reconcile/run";
import { liveRetentionDeps, type RetentionDeps } from "../retention/deps";
import { runRetention } from "../retention/run";
import { recordCronTick } from "../store/cron-tick";
import { runForwardingCron } from "./forwarding";
import { rollUpEventCounts } from "./rollup";
import { sweepStuckFollowups } from "./sweeper";

/** The retention policy's run; a kind that failed fails the job (after the others ran). */
async function retain(deps: RetentionDeps, now: number): Promise<void> {
  const outcome = await runRetention(deps, now);
  const failure = outcome.ran ? outcome.failures[0] : undefined;
  if (failure) throw failure.error;
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

export type ScheduledOptions = {
  reconcileDeps?: ReconcileDeps;
  retentionDeps?: RetentionDeps;
  backfillDeps?: BackfillDeps;
};

/**
 * Runs the jobs side by side: note the run's tick (when it started: the doctor's proof that the
 * cron runs), re-enqueue stuck follow-ups, the next chunks of unfinished bulk replays, the
 * retention policy (src/retention: archive and delete every kind of row past its age), roll new
 * events up into the stats' counts, forwarding (the destinations' walk, sweep and auto-disable),
 * reconcile missed pushes (the periodic run when it is due, then the next windows of manual runs),
 * the detail backfill of orders settled from the order list, and alerts (after forwarding, so a
 * destination disabled this run is told this run; alerts never throw). Each job runs whatever the
 * others do; a failure is logged under the job's name, and the first one is thrown at the end.
 */
export async function runScheduled(
  controller: ScheduledController,
  env: Env,
  options: ScheduledOptions = {},
): Promise<void> {
  const now = controller.scheduledTime;
  const forwarding = runForwardingCron(env, now);
  // Async, so a job that throws before its first await still lets the others run.
  const jobs: [string, () => Promise<unknown>][] = [
    ["tick", async () => recordCronTick(env.DB, { tickedAt: Date.now(), scheduledTime: now })],
    ["sweep", async () => sweepStuckFollowups(env, now)],
    ["replays", async () => continueReplays(env, now)],
    ["retention", async () => retain(options.retentionDeps ?? liveRetentionDeps(env), now)],
    ["rollup", async () => rollUpEventCounts(env, now)],
    ["reconcile", async () => reconcile(env, options.reconcileDeps ?? liveReconcileDeps(env), now)],
    ["forwarding", async () => forwarding],
    [
      "alerts",
      async () => {
        await forwarding.catch(() => undefined);
        return runAlerts(env, now);
      },
    ],
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
