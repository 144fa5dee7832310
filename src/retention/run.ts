/** One retention run (the minute cron): the policy's kinds in order, each in bounded chunks, under a lease. */
import { describeError } from "../errors";
import { newUlid } from "../lib/ids";
import { log } from "../lib/log";
import { type ArchiveOutcome, finishRetentionRun, startRetentionRun } from "../store/retention-runs";
import { ArchiveWriteError, type RetentionContext, type StepResult } from "./context";
import type { RetentionDeps } from "./deps";
import { RETENTION_POLICY, type RowKind } from "./policy";

/** A run holds the lease this long at most; one killed before it finished frees it after this. */
export const RETENTION_LEASE_MS = 10 * 60_000;

export type RetentionOutcome =
  | { ran: false }
  | {
      ran: true;
      runId: string;
      archive: ArchiveOutcome;
      archivedObjects: number;
      archivedEvents: number;
      /** Events settled `failed` because their follow-up never finished. */
      settled: number;
      removed: Partial<Record<RowKind, number>>;
      /** The kinds that failed this run, with the error; the others ran all the same. */
      failures: { kind: RowKind; error: unknown }[];
    };

/** Runs `step` chunk after chunk until it says nothing more waits or the run's budget is spent. */
async function inChunks(deps: RetentionDeps, step: (limit: number) => Promise<StepResult>): Promise<number> {
  let total = 0;
  for (let i = 0; i < deps.limits.chunksPerKind; i++) {
    const { count, more } = await step(deps.limits.chunk);
    total += count;
    if (!more) break;
  }
  return total;
}

function archiveOutcome(deps: RetentionDeps, ctx: RetentionContext): ArchiveOutcome {
  if (deps.archive === null) return "off";
  if (ctx.archive.failure !== null) return "failed";
  return ctx.archive.objects > 0 ? "ok" : "idle";
}

/**
 * Applies the retention policy at `now`: every kind of row in turn, each in at most
 * `chunksPerKind` chunks of `chunk` rows, so one run never holds D1 for long; a backlog is
 * finished by the following runs. A kind that fails is logged and the others still run; an
 * ARCHIVE failure deletes no event (they are tried again next run). The run and its outcome are
 * recorded in `retention_runs`; a run starts only when no other holds the lease.
 */
export async function runRetention(deps: RetentionDeps, now: number): Promise<RetentionOutcome> {
  const runId = newUlid(now);
  const started = await startRetentionRun(deps.db, {
    id: runId,
    now,
    archive: deps.archive === null ? "off" : "idle",
    leaseMs: RETENTION_LEASE_MS,
  });
  if (!started) {
    log("warn", "retention_skipped", { reason: "another run holds the lease" });
    return { ran: false };
  }
  const ctx: RetentionContext = { deps, now, runId, archive: { objects: 0, events: 0, failure: null } };
  const removed: Partial<Record<RowKind, number>> = {};
  const failures: { kind: RowKind; error: unknown }[] = [];
  let settled = 0;
  for (const row of RETENTION_POLICY) {
    try {
      if (row.applies && !(await row.applies(ctx))) continue;
      const prepare = row.prepare;
      if (prepare) settled += await inChunks(deps, (limit) => prepare(ctx, limit));
      removed[row.kind] = await inChunks(deps, (limit) => row.purge(ctx, limit));
    } catch (error) {
      if (error instanceof ArchiveWriteError && ctx.archive.failure === null) ctx.archive.failure = error;
      failures.push({ kind: row.kind, error });
      log("error", "retention_kind_failed", { kind: row.kind, error: describeError(error) });
    }
  }
  const outcome = {
    ran: true as const,
    runId,
    archive: archiveOutcome(deps, ctx),
    archivedObjects: ctx.archive.objects,
    archivedEvents: ctx.archive.events,
    settled,
    removed,
    failures,
  };
  await finishRetentionRun(deps.db, runId, {
    status: failures.length === 0 ? "done" : "failed",
    finishedAt: Math.max(now, Date.now()),
    archive: outcome.archive,
    archivedObjects: outcome.archivedObjects,
    archivedEvents: outcome.archivedEvents,
    removed,
    error: failures.length === 0 ? null : failures.map((f) => `${f.kind}: ${describeError(f.error)}`).join("; "),
  });
  const total = Object.values(removed).reduce((sum, n) => sum + n, 0);
  if (total + settled > 0) log("info", "retention_done", { ...removed, settled, archived: outcome.archivedEvents });
  return outcome;
}
