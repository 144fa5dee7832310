/** The alerts raised (read token): what went out, or is still trying to, newest first. */
import { createRoute } from "@hono/zod-openapi";
import { AlertPage, ListAlertsQuery, readAlertPage } from "../../read-model/alerts";
import { apiRouter, errorAnswers, firstOfRepeated, jsonAnswer } from "../route-kit";

export const alertRoutes = apiRouter();

export const listAlertsRoute = createRoute({
  method: "get",
  path: "/api/alerts",
  operationId: "listAlerts",
  tags: ["Alerts"],
  summary: "List alerts",
  description:
    "Alerts raised by the cron (ALERT_URL set): one per change of state, repeats within ALERT_REPEAT_MINUTES suppressed; with their sending status.",
  request: { query: firstOfRepeated(ListAlertsQuery) },
  responses: { 200: jsonAnswer(AlertPage, "A page of alerts."), ...errorAnswers([400, 401]) },
});

alertRoutes.openapi(listAlertsRoute, async (c) => c.json(await readAlertPage(c.env, c.req.valid("query")), 200));
