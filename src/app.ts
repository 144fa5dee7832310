/**
 * The HTTP surface, read top to bottom: health, the push endpoint, the read API, the dashboard.
 * Errors from every route are mapped to one JSON shape by `renderError`.
 */
import { Hono } from "hono";
import { apiRoutes } from "./api/routes";
import { dashboardRoutes } from "./dashboard/routes";
import { errorBody, renderError } from "./errors";
import { pushRoutes } from "./push/route";
import { pingDatabase } from "./store/health";

export const app = new Hono<{ Bindings: Env }>();

app.get("/health", async (c) => {
  try {
    await pingDatabase(c.env.DB);
    return c.json({ status: "ok" });
  } catch {
    return c.json({ status: "unavailable", error: "database_unavailable" }, 503);
  }
});

app.route("/", pushRoutes);
app.route("/", apiRoutes);
app.route("/", dashboardRoutes);

app.notFound((c) => c.json(errorBody("not_found"), 404));
app.onError(renderError);
