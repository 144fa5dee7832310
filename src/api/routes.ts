/**
 * The read API, as DESIGN.md "Read API" lists it: events (list, one, replay), an order with
 * its timeline, stats; plus the OpenAPI document and its interactive reference. Everything
 * under /api needs a bearer token; replay needs an admin one.
 */
import { Hono } from "hono";
import { cors } from "hono/cors";
import { createMiddleware } from "hono/factory";
import { type AuthVariables, requireAdmin, requireToken } from "../auth/bearer";
import { readConfig } from "../config";
import { HttpError, parseOrThrow } from "../errors";
import { replayEvent } from "../followup/replay";
import { securityHeaders } from "../lib/security-headers";
import { DOCS_CSS, DOCS_HTML, DOCS_SCRIPT } from "./docs-page";
import { buildOpenApiDocument } from "./openapi";
import { readEvent, readEventPage, readOrder, readStats } from "./reads";
import { EventIdParam, ListEventsQuery, OrderNumberParam } from "./schemas";

type ApiEnv = { Bindings: Env; Variables: AuthVariables };

/** CORS only when CORS_ORIGINS names origins; it runs before auth so preflights are answered. */
const corsWhenConfigured = createMiddleware<ApiEnv>(async (c, next) => {
  const origins = readConfig(c.env).CORS_ORIGINS;
  if (origins.length === 0) return next();
  return cors({
    origin: origins,
    allowMethods: ["GET", "POST", "OPTIONS"],
    allowHeaders: ["Authorization", "Content-Type"],
    maxAge: 600,
  })(c, next);
});

/** Answers carry order and seller data: never cache them in shared caches. */
const noStore = createMiddleware<ApiEnv>(async (c, next) => {
  await next();
  c.header("Cache-Control", "no-store");
});

export const apiRoutes = new Hono<ApiEnv>();

apiRoutes.use("/api/*", corsWhenConfigured, noStore, requireToken);

apiRoutes.get("/api/events", async (c) => {
  const query = parseOrThrow(ListEventsQuery, c.req.query());
  return c.json(await readEventPage(c.env.DB, query));
});

apiRoutes.get("/api/events/:id", async (c) => {
  const { id } = parseOrThrow(EventIdParam, c.req.param());
  const event = await readEvent(c.env.DB, id);
  if (!event) throw new HttpError(404, "not_found", "no event with this id");
  return c.json(event);
});

apiRoutes.post("/api/events/:id/replay", requireAdmin, async (c) => {
  const { id } = parseOrThrow(EventIdParam, c.req.param());
  const replayed = await replayEvent(c.env, id);
  if (!replayed) throw new HttpError(404, "not_found", "no event with this id");
  if (!replayed.enqueued) {
    throw new HttpError(409, "not_replayable", "an invalid push has no follow-up to replay");
  }
  return c.json({ event_id: replayed.eventId, status: "queued" as const }, 202);
});

apiRoutes.get("/api/orders/:omisell_order_number", async (c) => {
  const { omisell_order_number } = parseOrThrow(OrderNumberParam, c.req.param());
  const order = await readOrder(c.env.DB, omisell_order_number);
  if (!order) throw new HttpError(404, "not_found", "no snapshot and no event for this order");
  return c.json(order);
});

apiRoutes.get("/api/stats", async (c) => c.json(await readStats(c.env.DB, Date.now())));

apiRoutes.get("/openapi.json", (c) => c.json(buildOpenApiDocument(new URL(c.req.url).origin)));

/** The reference page loads its script and styles from here: the CSP allows no inline code. */
const DOCS_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; form-action 'none'; frame-ancestors 'none'; base-uri 'none'";

const docsHeaders = securityHeaders({ csp: DOCS_CSP, referrerPolicy: "no-referrer" });

// "/docs/*" also matches "/docs" itself (Hono 4): one registration, or it runs twice there.
apiRoutes.use("/docs/*", docsHeaders);
apiRoutes.get("/docs", (c) => c.html(DOCS_HTML));
apiRoutes.get("/docs/app.js", (c) => c.body(DOCS_SCRIPT, 200, { "Content-Type": "text/javascript; charset=utf-8" }));
apiRoutes.get("/docs/docs.css", (c) => c.body(DOCS_CSS, 200, { "Content-Type": "text/css; charset=utf-8" }));
