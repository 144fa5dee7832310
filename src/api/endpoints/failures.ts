/** Failed events grouped by error, newest failures first: what to fix, and the key to replay a group with. */
import { createRoute } from "@hono/zod-openapi";
import { FailuresView, readFailures } from "../../read-model/failures";
import { apiRouter, errorAnswers, jsonAnswer } from "../route-kit";

export const failureRoutes = apiRouter();

export const getFailures = createRoute({
  method: "get",
  path: "/api/failures",
  operationId: "getFailures",
  tags: ["Events"],
  summary: "Failures grouped by error",
  description:
    'The most recent failed events (at most 500) grouped by their error: its kind and message with ids, order numbers and numbers as `#`, with counts, first and last time and a few samples. Replay a group with `POST /api/events/replay` and `{"error_group": key}`.',
  responses: { 200: jsonAnswer(FailuresView, "The groups, and the newest failures."), ...errorAnswers([401]) },
});

failureRoutes.openapi(getFailures, async (c) => c.json(await readFailures(c.env.DB), 200));
