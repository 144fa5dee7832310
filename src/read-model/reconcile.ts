/** Reconciliation as the API and the dashboard show it: the runs, a page of them, and the overview's figures. */
import { z } from "zod";
import { parseJsonOr } from "../lib/json";
import { type MissedDay, readReconciliationSummary } from "../reconcile/figures";
import { listRuns, type ReconcileRun } from "../store/reconcile";
import { cursorIdOrThrow, signCursor } from "./cursor";
import { columnsOf, nextCursor, pageCursor, pageSize, shownFields } from "./fields";

/** The run list's page. */
export const ListRunsQuery = z.object({ limit: pageSize(200, 50), cursor: pageCursor() }).strict();

const SkippedRowView = z.object({
  page: z.int(),
  index: z.int().meta({ description: "Place of the row in its page, from 0." }),
  reason: z.string(),
  raw: z.string().meta({ description: "The row as listed, cut at 200 characters." }),
});

/** A run, periodic or manual: every column of the stored run, the skipped rows' samples parsed. */
export const ReconcileRunView = z
  .object(
    columnsOf<ReconcileRun, "skipped_samples">()({
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
      skipped_rows: z
        .int()
        .meta({ description: "Rows of the order list that could not be read (no order number or time): skipped." }),
    }),
  )
  .extend({
    skipped_samples: z.array(SkippedRowView).meta({ description: "The first few skipped rows, and why." }),
  })
  .meta({ id: "ReconcileRun" });
export type ReconcileRunView = z.infer<typeof ReconcileRunView>;

const shownRun = shownFields(ReconcileRunView);

/** A stored run as shown: its public columns, and its skipped rows' samples read from their JSON. */
function toRunView(run: ReconcileRun): ReconcileRunView {
  const samples = z.array(SkippedRowView).safeParse(parseJsonOr(run.skipped_samples ?? "[]", []));
  return shownRun({ ...run, skipped_samples: samples.success ? samples.data : [] });
}

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
