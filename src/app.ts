/** The HTTP surface, read top to bottom: the push endpoint, the read API, the dashboard. */
import { Hono } from "hono";
import { apiRoutes } from "./api/routes";
import { dashboardRoutes } from "./dashboard/routes";
import { HttpError, renderError } from "./errors";
import type { PushSteps } from "./push/ingest";
import { createPushRoutes } from "./push/route";

export type AppOptions = {
  /** The steps that store a push; the real ones unless a test hands in fakes. */
  pushSteps?: PushSteps;
};

/** The app: every route, and errors from all of them mapped to one JSON shape by `renderError`. */
export function createApp(options: AppOptions = {}) {
  const app = new Hono<{ Bindings: Env }>();

  app.route("/", createPushRoutes(options.pushSteps));
  app.route("/", apiRoutes);
  app.route("/", dashboardRoutes);

  app.notFound((c) => renderError(new HttpError(404, "not_found"), c));
  app.onError(renderError);
  return app;
}

export const app = createApp();
