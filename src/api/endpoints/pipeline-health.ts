/**
 * GET /health/pipeline, for uptime monitors: no token, no figures. 200 `{"status":"ok"}`, or 503
 * `{"status":"degraded","reasons":[…]}` naming what is wrong (src/health/pipeline.ts).
 */
import { createRoute } from "@hono/zod-openapi";
import { readConfig } from "../../config";
import { checkPipelineHealth } from "../../health/pipeline";
import { deliveriesFailing } from "../../store/deliveries";
import { PipelineHealthView } from "../reconcile-schemas";
import { apiRouter, jsonAnswer, publicAccess } from "../route-kit";

export const pipelineHealthRoutes = apiRouter();

export const getPipelineHealth = createRoute({
  method: "get",
  path: "/health/pipeline",
  operationId: "getPipelineHealth",
  tags: ["Service"],
  summary: "Pipeline health",
  description:
    "Whether pushes are stored, followed up and reconciled in time. 503 with the reasons when not: backlog_stale, failures, silence, missed_pushes, reconcile_stale, deliveries_failing. No token needed; no figures.",
  ...publicAccess,
  responses: {
    200: jsonAnswer(PipelineHealthView, "Everything in time."),
    503: jsonAnswer(PipelineHealthView, "Degraded; `reasons` says why."),
  },
});

pipelineHealthRoutes.openapi(getPipelineHealth, async (c) => {
  const now = Date.now();
  // Deliveries are looked at only when forwarding is on: failures of a former destination do not count.
  const failing = readConfig(c.env).forward.destination ? await deliveriesFailing(c.env.DB, now) : false;
  const health = await checkPipelineHealth(c.env, now, { deliveriesFailing: failing });
  c.header("Cache-Control", "no-store");
  return health.status === "ok" ? c.json(health, 200) : c.json(health, 503);
});
