/**
 * GET /health/pipeline, for uptime monitors: no token and no figures, 200 when everything keeps up
 * and 503 with the reasons when not (src/health/pipeline.ts decides).
 */
import { createRoute } from "@hono/zod-openapi";
import { PipelineHealthView, readPipelineHealth } from "../../read-model/health";
import { apiRouter, jsonAnswer, publicAccess } from "../route-kit";

export const pipelineHealthRoutes = apiRouter();

export const getPipelineHealth = createRoute({
  method: "get",
  path: "/health/pipeline",
  operationId: "getPipelineHealth",
  tags: ["Service"],
  summary: "Pipeline health",
  description:
    "Whether pushes are stored, followed up and reconciled in time. 503 with the reasons when not: backlog_stale, failures, silence, missed_pushes, reconcile_stale, deliveries_failing, archive_failing. No token needed; no figures.",
  ...publicAccess,
  responses: {
    200: jsonAnswer(PipelineHealthView, "Everything in time."),
    503: jsonAnswer(PipelineHealthView, "Degraded; `reasons` says why."),
  },
});

pipelineHealthRoutes.openapi(getPipelineHealth, async (c) => {
  const health = await readPipelineHealth(c.env, Date.now());
  c.header("Cache-Control", "no-store");
  return health.status === "ok" ? c.json(health, 200) : c.json(health, 503);
});
