/**
 * Bulk replay (admin): `POST /api/events/replay` follows up again every event the filters match,
 * at the lowest priority of Omisell's budget; `GET /api/replays/{replay_id}` shows its progress.
 */
import { createRoute } from "@hono/zod-openapi";
import { HttpError } from "../../errors";
import { startGroupReplay, startReplay } from "../../followup/bulk-replay";
import { ReplayIdParam, ReplayProgress, readReplayProgress } from "../../read-model/replays";
import { adminAccess, apiRouter, errorAnswers, foundOr404, jsonAnswer } from "../route-kit";
import { ReplayFiltersBody, ReplayStarted } from "../schemas";

export const replayRoutes = apiRouter();

export const startReplayRoute = createRoute({
  method: "post",
  path: "/api/events/replay",
  operationId: "replayEvents",
  tags: ["Events"],
  summary: "Replay the follow-up of every matching event",
  description:
    "Reopens every event the filters match (at least one filter; `invalid` events excepted), or a failure group's events (`error_group`), and follows it up again, in chunks, at the lowest priority of Omisell's rate limit, so new pushes go first. Needs an admin token.",
  ...adminAccess,
  request: { body: { required: true, content: { "application/json": { schema: ReplayFiltersBody } } } },
  responses: {
    202: jsonAnswer(ReplayStarted, "Replay started."),
    ...errorAnswers([400, 401, 403, 404, 415], { 404: "No recent failure is in this `error_group` (any more)." }),
  },
});

replayRoutes.openapi(startReplayRoute, async (c) => {
  const { error_group, ...filters } = c.req.valid("json");
  const now = Date.now();
  const started =
    error_group === undefined
      ? await startReplay(c.env, filters, now)
      : await startGroupReplay(c.env, error_group, now);
  if (!started) throw new HttpError(404, "not_found", "no recent failure is in this error_group");
  const body = { replay_id: started.replayId, matched: started.matched, status: started.status };
  if (started.status === "scheduled") {
    return c.json({ ...body, note: "could not enqueue now; the cron continues the replay within a minute" }, 202);
  }
  return c.json(body, 202);
});

export const getReplayRoute = createRoute({
  method: "get",
  path: "/api/replays/{replay_id}",
  operationId: "getReplay",
  tags: ["Events"],
  summary: "Progress of a bulk replay",
  description:
    "How far a bulk replay has come: matched, enqueued, and of those settled, failed again or still waiting.",
  request: { params: ReplayIdParam },
  responses: { 200: jsonAnswer(ReplayProgress, "The replay's progress."), ...errorAnswers([400, 401, 404]) },
});

replayRoutes.openapi(getReplayRoute, async (c) => {
  const progress = await readReplayProgress(c.env.DB, c.req.valid("param").replay_id);
  return c.json(foundOr404(progress, "no replay with this id"), 200);
});
