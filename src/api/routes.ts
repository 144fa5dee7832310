/** The read API as one router: every module of `endpoints/` mounted behind the bearer check, and /openapi.json. */
import { cors } from "hono/cors";
import { createMiddleware } from "hono/factory";
import { requireToken } from "../auth/bearer";
import { readConfig } from "../config";
import { alertRoutes } from "./endpoints/alerts";
import { archiveRoutes } from "./endpoints/archive";
import { deliveryRoutes } from "./endpoints/deliveries";
import { destinationActionRoutes } from "./endpoints/destination-actions";
import { destinationRoutes } from "./endpoints/destinations";
import { doctorRoutes } from "./endpoints/doctor";
import { eventRoutes } from "./endpoints/events";
import { failureRoutes } from "./endpoints/failures";
import { feedRoutes } from "./endpoints/feed";
import { orderStatsRoutes } from "./endpoints/orders-stats";
import { pipelineHealthRoutes } from "./endpoints/pipeline-health";
import { pushRoute } from "./endpoints/push-doc";
import { reconcileRoutes } from "./endpoints/reconcile";
import { replayRoutes } from "./endpoints/replays";
import { serviceRoutes } from "./endpoints/service";
import { buildOpenApiDocument, getOpenApi, registerBearerScheme } from "./openapi";
import { type ApiEnv, apiRouter } from "./route-kit";

/** CORS only when CORS_ORIGINS names origins; it runs before auth so preflights are answered. */
const corsWhenConfigured = createMiddleware<ApiEnv>(async (c, next) => {
  const origins = readConfig(c.env).api.corsOrigins;
  if (origins.length === 0) return next();
  return cors({
    origin: origins,
    allowMethods: ["GET", "POST", "PATCH", "DELETE", "OPTIONS"],
    allowHeaders: ["Authorization", "Content-Type"],
    maxAge: 600,
  })(c, next);
});

/** Answers carry order and seller data: never cache them in shared caches. */
const noStore = createMiddleware<ApiEnv>(async (c, next) => {
  await next();
  c.header("Cache-Control", "no-store");
});

/**
 * Events (list, one, replay), failures by error, an order with its timeline, stats, reconciliation,
 * the change feed, deliveries, destinations and their actions, alerts, the archive, health (and the
 * pipeline's), the doctor, the OpenAPI document and its interactive reference.
 * Everything under /api needs a bearer token, checked before any route so that unknown /api paths
 * reveal nothing; a route that needs an admin token says so in its declaration. A new capability
 * is one more module in `endpoints/`, mounted below.
 */
export const apiRoutes = apiRouter();

apiRoutes.use("/api/*", corsWhenConfigured, noStore, requireToken);

// Listed in the order the reference shows them.
apiRoutes.route("/", replayRoutes);
apiRoutes.route("/", eventRoutes);
apiRoutes.route("/", failureRoutes);
apiRoutes.route("/", orderStatsRoutes);
apiRoutes.route("/", reconcileRoutes);
apiRoutes.route("/", feedRoutes);
apiRoutes.route("/", deliveryRoutes);
apiRoutes.route("/", destinationRoutes);
apiRoutes.route("/", destinationActionRoutes);
apiRoutes.route("/", alertRoutes);
apiRoutes.route("/", archiveRoutes);
apiRoutes.route("/", serviceRoutes);
apiRoutes.route("/", pipelineHealthRoutes);
apiRoutes.route("/", doctorRoutes);

// The push is served by push/route.ts; declared here only for the reference.
apiRoutes.openAPIRegistry.registerPath(pushRoute);

registerBearerScheme(apiRoutes);
apiRoutes.openapi(getOpenApi, (c) => c.json(buildOpenApiDocument(apiRoutes, new URL(c.req.url).origin), 200));
