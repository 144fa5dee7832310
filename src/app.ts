/**
 * The HTTP surface, read top to bottom: the push endpoint, the read API (with /health and the
 * API reference), the dashboard. Errors from every route are mapped to one JSON shape by
 * `renderError`.
 */
import { Hono } from "hono";
import { apiRoutes } from "./api/routes";
import { dashboardRoutes } from "./dashboard/routes";
import { errorBody, renderError } from "./errors";
import { pushRoutes } from "./push/route";

export const app = new Hono<{ Bindings: Env }>();

app.route("/", pushRoutes);
app.route("/", apiRoutes);
app.route("/", dashboardRoutes);

app.notFound((c) => c.json(errorBody("not_found"), 404));
app.onError(renderError);
