/** Reconciliation as the API and the dashboard show it: the runs, a page of them, and the overview's figures. */
import { z } from "zod";
import { type MissedDay, readReconciliationSummary } from "../reconcile/figures";
import { listRuns, type ReconcileRun } from "../store/reconcile";
import { cursorIdOrThrow, signCursor } from "./cursor";
import { columnsOf, nextCursor, pageCursor, pageSize, shownFields } from "./fields";

/** The run list's page. */
export const ListRunsQuery = z.object({ limit: pageSize(200, 50), cursor: pageCursor() }).strict();

/** A run, periodic or manual: every column of the stored run. */
export const ReconcileRunView = z
  .object(
    columnsOf<ReconcileRun>()({
      id: z.string(),
      trigger: z.enum(["cron", "manual"]).meta({
        description:
          "`cron`: one periodic run (its windows from the checkpoint on, up to 8 hours while catching up); `manual`: a requested range.",
      }),
      window_from: z.int().meta({ description: "ms, inclusive" }),
      window_to: z.int().meta({ description: "ms, inclusive" }),
      started_at: z.int(),
      finished_at: z.int().nullable(),
      status: z.enum(["running", "done", "failed"]),
      orders_listed: z.int().meta({ description: "Order changes Omisell listed (so far, while running)." }),
      missed: z.int().meta({ description: "Of those, changes no push had told about." }),
      error: z.string().nullable(),
      listed_to: z.int().nullable().meta({
        description:
          "How far the range has been listed (ms): a manual run's progress, a periodic run's reach once it ended; null before the first window.",
      }),
    }),
  )
  .meta({ id: "ReconcileRun" });
export type ReconcileRunView = z.infer<typeof ReconcileRunView>;

const toRunView = shownFields(ReconcileRunView);

/** A page of runs, newest first. */
export const ReconcileRunPage = z
  .object({
    runs: z.array(ReconcileRunView).meta({ description: "Newest first." }),
    next_cursor: nextCursor(),
  })
  .meta({ id: "ReconcileRunPage" });
export type ReconcileRunPage = z.infer<typeof ReconcileRunPage>;

/** One page of runs, newest first; one row more than asked tells whether a next page exists. */
export async function readRunPage(env: Env, query: z.infer<typeof ListRunsQuery>): Promise<ReconcileRunPage> {
  const cursor = await cursorIdOrThrow(env, "reconcile_runs", query.cursor);
  const rows = await listRuns(env.DB, query.limit + 1, cursor);
  const runs = rows.slice(0, query.limit).map(toRunView);
  const last = runs.at(-1);
  const more = rows.length > query.limit && last;
  return { runs, next_cursor: more ? await signCursor(env, "reconcile_runs", last.id) : null };
}

/** What the overview shows of reconciliation: the newest run, push coverage over 24 h, missed pushes per day. */
export type ReconciliationFigures = {
  lastRun: ReconcileRunView | null;
  pushCoverage: number | null;
  missedPerDay: MissedDay[];
};

/** The newest run (its public fields only) with reconciliation's figures (`reconcile/figures.ts`). */
export async function readReconciliationFigures(db: D1Database, now: number): Promise<ReconciliationFigures> {
  const summary = await readReconciliationSummary(db, now);
  return { ...summary, lastRun: summary.lastRun && toRunView(summary.lastRun) };
}
