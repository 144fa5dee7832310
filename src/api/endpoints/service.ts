/** What needs no token: GET /health (can the worker reach D1), and the interactive reference at /docs. */
import { createRoute } from "@hono/zod-openapi";
import { z } from "zod";
import { securityHeaders } from "../../lib/security-headers";
import { Health, isDatabaseReachable } from "../../read-model/health";
import { DOCS_CSS, DOCS_HTML, DOCS_SCRIPT } from "../docs-page";
import { apiRouter, errorAnswers, jsonAnswer, publicAccess } from "../route-kit";

export const serviceRoutes = apiRouter();

export const getHealth = createRoute({
  method: "get",
  path: "/health",
  operationId: "getHealth",
  tags: ["Service"],
  summary: "Health",
  description: "Answers 200 when the worker can reach D1. No token needed.",
  ...publicAccess,
  responses: { 200: jsonAnswer(Health, "Healthy."), ...errorAnswers([503]) },
});

serviceRoutes.openapi(getHealth, async (c) => {
  if (await isDatabaseReachable(c.env.DB)) return c.json({ status: "ok" as const }, 200);
  return c.json({ status: "unavailable", error: "database_unavailable" }, 503);
});

// The reference page loads its script and styles from the worker itself: its CSP allows no
// inline code and nothing from elsewhere.
const DOCS_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; form-action 'none'; frame-ancestors 'none'; base-uri 'none'";

// "/docs/*" also matches "/docs" itself (Hono 4): one registration, or it runs twice there.
serviceRoutes.use("/docs/*", securityHeaders({ csp: DOCS_CSP, referrerPolicy: "no-referrer" }));

export const getDocs = createRoute({
  method: "get",
  path: "/docs",
  operationId: "getDocs",
  tags: ["Service"],
  summary: "Interactive reference",
  description: "An HTML page that lists these operations and sends requests with your token.",
  ...publicAccess,
  responses: { 200: { description: "HTML page.", content: { "text/html": { schema: z.string() } } } },
});

serviceRoutes.openapi(getDocs, (c) => c.html(DOCS_HTML));

// The page's own assets: served, not documented as operations.
serviceRoutes.get("/docs/app.js", (c) =>
  c.body(DOCS_SCRIPT, 200, { "Content-Type": "text/javascript; charset=utf-8" }),
);
serviceRoutes.get("/docs/docs.css", (c) => c.body(DOCS_CSS, 200, { "Content-Type": "text/css; charset=utf-8" }));
