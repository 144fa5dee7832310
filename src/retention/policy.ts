/**
 * The retention policy: one table of the kinds of row omisell-push keeps, each with how old it may
 * get and what must hold before it goes. `runRetention` (run.ts) walks it in order with one
 * bounded, chunked loop.
 */
import { encodeIdTime } from "../lib/ids";
import { log } from "../lib/log";
import { forgetUnfinishedObject, listUnfinishedObjects } from "../store/archive";
import { type BoundedPurge, purgeBounded } from "../store/retention";
import { ArchiveWriteError, type RetentionContext, type StepResult } from "./context";
import { purgeEventChunk, settleUnfinishedEvents } from "./events";

const DAY_MS = 86_400_000;
/** Self-test pushes (the doctor's) are kept this long: long enough to look at, never archived. */
export const SELFTEST_KEEP_MS = DAY_MS;
/** Retention's own runs are kept this long (the health check reads the last three). */
export const RUNS_KEEP_MS = 7 * DAY_MS;

export const ROW_KINDS = [
  "archive_records",
  "events",
  "selftest_events",
  "snapshots",
  "deliveries",
  "reconcile_runs",
  "replays",
  "alerts",
  "retention_runs",
] as const;
export type RowKind = (typeof ROW_KINDS)[number];

/** One row of the policy. `age` and `first` say in words what `purge` does (docs/storage.md repeats them). */
export type RowPolicy = {
  kind: RowKind;
  /** How old a row may get. */
  age: string;
  /** What must hold before it goes. */
  first: string;
  /** False to skip the kind in this run (no ARCHIVE bound, a table not created yet). */
  applies?(ctx: RetentionContext): Promise<boolean>;
  /** Work before any row may go, chunk by chunk (events: settle what never finished). */
  prepare?(ctx: RetentionContext, limit: number): Promise<StepResult>;
  /** Removes up to `limit` rows that may go now. */
  purge(ctx: RetentionContext, limit: number): Promise<StepResult>;
};

/** A kind deleted by one bounded statement, its bound computed from the run's clock. */
function bounded(kind: BoundedPurge, bound: (ctx: RetentionContext) => string | number) {
  return async (ctx: RetentionContext, limit: number): Promise<StepResult> => {
    const count = await purgeBounded(ctx.deps.db, kind, bound(ctx), limit);
    return { count, more: count === limit };
  };
}

/** The retention cutoff of the run as an id prefix (ids start with their creation time). */
const pastRetentionId = (ctx: RetentionContext) => encodeIdTime(ctx.now - ctx.deps.config.retentionMs);
const pastRetentionMs = (ctx: RetentionContext) => ctx.now - ctx.deps.config.retentionMs;

/**
 * `writing` records a stopped run left behind: their object (possibly written, possibly not) is
 * deleted from ARCHIVE, then the record. Runs hold a lease, so no other run is writing them now.
 */
async function cleanUpUnfinishedObjects(ctx: RetentionContext, limit: number): Promise<StepResult> {
  const archive = ctx.deps.archive;
  if (archive === null) return { count: 0, more: false };
  const unfinished = await listUnfinishedObjects(ctx.deps.db, ctx.runId, limit);
  for (const record of unfinished) {
    try {
      await archive.delete(record.key);
    } catch (err) {
      throw new ArchiveWriteError(record.key, err);
    }
    await forgetUnfinishedObject(ctx.deps.db, record.key);
  }
  if (unfinished.length > 0) log("warn", "archive_unfinished_cleaned", { objects: unfinished.length });
  return { count: unfinished.length, more: unfinished.length === limit };
}

/** Every kind of row, in the order a run handles them. */
export const RETENTION_POLICY: readonly RowPolicy[] = [
  {
    kind: "archive_records",
    age: "a `writing` record of an earlier run: at once; a `written` one is kept (it is the archive's index)",
    first: "its object deleted from ARCHIVE (only with the binding)",
    applies: async (ctx) => ctx.deps.archive !== null,
    purge: cleanUpUnfinishedObjects,
  },
  {
    kind: "events",
    age: "RETENTION_DAYS after arrival",
    first:
      "settled, at least a day ago (one still waiting is first settled `failed` and kept a day; a replay settled again lately waits); no `pending` delivery; not a self-test; written to ARCHIVE and recorded there first when the binding is set",
    prepare: settleUnfinishedEvents,
    purge: purgeEventChunk,
  },
  {
    kind: "selftest_events",
    age: "a day after arrival",
    first: "nothing; never archived",
    purge: bounded("selftestEvents", (ctx) => encodeIdTime(ctx.now - SELFTEST_KEEP_MS)),
  },
  {
    kind: "snapshots",
    age: "RETENTION_DAYS after the last fetch",
    first: "none of the order's events is left (each is archived with the snapshot as it stood)",
    purge: bounded("snapshots", pastRetentionMs),
  },
  {
    kind: "deliveries",
    age: "RETENTION_DAYS after creation",
    first: "ended (`delivered` or `failed`): a `pending` delivery is never deleted",
    purge: bounded("deliveries", pastRetentionId),
  },
  {
    kind: "reconcile_runs",
    age: "RETENTION_DAYS after the run started",
    first: "nothing",
    purge: bounded("reconcileRuns", pastRetentionId),
  },
  {
    kind: "replays",
    age: "RETENTION_DAYS after it was asked for",
    first: "finished (every matched event enqueued)",
    purge: bounded("replays", pastRetentionId),
  },
  {
    kind: "alerts",
    age: "RETENTION_DAYS after creation",
    first: "nothing (an alert not sent by then never will be)",
    purge: bounded("alerts", pastRetentionMs),
  },
  {
    kind: "retention_runs",
    age: "7 days after the run started",
    first: "finished",
    purge: bounded("retentionRuns", (ctx) => encodeIdTime(ctx.now - RUNS_KEEP_MS)),
  },
];
