/**
 * Reconciliation: an admin asks for a range to be listed now (the run is recorded and continued
 * by the cron, a few windows a minute: the answer never waits for the listing), and anyone with
 * a read token lists the runs, newest first.
 */
import { createRoute } from "@hono/zod-openapi";
import { startManualRun } from "../../reconcile/manual";
import { listRuns } from "../../store/reconcile";
import { encodeCursor } from "../event-query";
import { ListRunsQuery, ReconcileAccepted, ReconcileRequest, ReconcileRunPage } from "../reconcile-schemas";
import { adminAccess, apiRouter, errorAnswers, firstOfRepeated, jsonAnswer } from "../route-kit";

export const reconcileRoutes = apiRouter();

export const startReconcile = createRoute({
  method: "post",
  path: "/api/reconcile",
  operationId: "startReconcile",
  tags: ["Reconciliation"],
  summary: "Reconcile a time range now",
  description:
    "Lists the orders Omisell changed in [from, to] (at most 15 days) and stores each change no push told about as a `reconcile.order_changed` event. Answers at once; the run is listed by the cron, up to 12 hours of range a minute. Needs an admin token.",
  ...adminAccess,
  request: {
    body: { required: true, content: { "application/json": { schema: ReconcileRequest } } },
  },
  responses: {
    202: jsonAnswer(ReconcileAccepted, "Run recorded; it is listed in the background."),
    ...errorAnswers([400, 401, 403]),
  },
});

reconcileRoutes.openapi(startReconcile, async (c) => {
  const { from, to } = c.req.valid("json");
  return c.json({ run_id: await startManualRun(c.env, from, to, Date.now()) }, 202);
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

reconcileRoutes.openapi(listReconcileRuns, async (c) => {
  const { limit, cursor } = c.req.valid("query");
  // One row more than asked tells whether a next page exists.
  const rows = await listRuns(c.env.DB, limit + 1, cursor);
  const runs = rows.slice(0, limit);
  const last = runs.at(-1);
  return c.json({ runs, next_cursor: rows.length > limit && last ? encodeCursor(last.id) : null }, 200);
});
