/** Reconciliation: an admin asks for a range to be listed now; any read token lists the runs, newest first. */
import { createRoute } from "@hono/zod-openapi";
import { invalidField } from "../../errors";
import { ListRunsQuery, ReconcileRunPage, readRunPage } from "../../read-model/reconcile";
import { startManualRun } from "../../reconcile/manual";
import { checkRangeEnd } from "../../reconcile/windows";
import { adminAccess, apiRouter, errorAnswers, firstOfRepeated, jsonAnswer } from "../route-kit";
import { ReconcileAccepted, ReconcileRequest } from "../schemas";

export const reconcileRoutes = apiRouter();

export const startReconcile = createRoute({
  method: "post",
  path: "/api/reconcile",
  operationId: "startReconcile",
  tags: ["Reconciliation"],
  summary: "Reconcile a time range now",
  description:
    "Lists the orders Omisell changed in [from, to] (at most 15 days, ending at most 1 minute past the worker's clock) and stores each change no push told about as a `reconcile.order_changed` event. Answers at once; the run is listed by the cron, up to 12 hours of range a minute, and counts toward `push_coverage` once done. Needs an admin token.",
  ...adminAccess,
  request: {
    body: { required: true, content: { "application/json": { schema: ReconcileRequest } } },
  },
  responses: {
    202: jsonAnswer(ReconcileAccepted, "Run recorded; it is listed in the background."),
    ...errorAnswers([400, 401, 403, 415]),
  },
});

// The run is recorded and listed by the cron, a few windows a minute: the answer never waits for it.
reconcileRoutes.openapi(startReconcile, async (c) => {
  const { from, to } = c.req.valid("json");
  const now = Date.now();
  // The schema knows no clock: a range that ends in the future is refused here, naming `to`.
  const late = checkRangeEnd(to, now);
  if (late !== null) throw invalidField("to", late);
  return c.json({ run_id: await startManualRun(c.env, from, to, now) }, 202);
});

export const listReconcileRuns = createRoute({
  method: "get",
  path: "/api/reconcile/runs",
  operationId: "listReconcileRuns",
  tags: ["Reconciliation"],
  summary: "List reconciliation runs",
  description: "Periodic and manual runs, newest first, with what each listed and missed.",
  request: { query: firstOfRepeated(ListRunsQuery) },
  responses: { 200: jsonAnswer(ReconcileRunPage, "A page of runs."), ...errorAnswers([400, 401]) },
});

reconcileRoutes.openapi(listReconcileRuns, async (c) => c.json(await readRunPage(c.env, c.req.valid("query")), 200));
