/**
 * /dashboard: pages for people, server-rendered from the read model and usable without JavaScript;
 * a session cookie signs the viewer in, and every form that changes something carries a CSRF token.
 */
import { Hono } from "hono";
import { archiveRoutes } from "./archive-routes";
import { deliveryRoutes } from "./delivery-routes";
import { destinationPages } from "./destination-routes";
import { detailRoutes } from "./detail-routes";
import { failureRoutes } from "./failure-routes";
import { type DashboardEnv, showMessage } from "./kit";
import { overviewRoutes } from "./overview-routes";
import { dashboardSecurityHeaders } from "./security";
import { addSessionRoutes } from "./session-routes";
import { DASHBOARD_CSS, FAVICON_SVG } from "./styles";

/**
 * Every /dashboard page. Signing in exchanges the token for a sealed session cookie
 * (session-routes.tsx); every answer gets the security headers; pages read through `read-model/`
 * only, and the forms that change something (replays, a delivery's retry) call the same actions as
 * the API. A page's routes live in a file of their own, mounted below.
 */
export const dashboardRoutes = new Hono<DashboardEnv>();

// "/dashboard/*" also matches "/dashboard" itself (Hono 4), so each middleware is registered once.
dashboardRoutes.use("/dashboard/*", dashboardSecurityHeaders);

dashboardRoutes.get("/dashboard/style.css", (c) =>
  c.body(DASHBOARD_CSS, 200, { "Content-Type": "text/css; charset=utf-8", "Cache-Control": "public, max-age=300" }),
);

dashboardRoutes.get("/dashboard/favicon.svg", (c) =>
  c.body(FAVICON_SVG, 200, { "Content-Type": "image/svg+xml", "Cache-Control": "public, max-age=86400" }),
);

addSessionRoutes(dashboardRoutes);

dashboardRoutes.route("/", overviewRoutes);
dashboardRoutes.route("/", detailRoutes);
dashboardRoutes.route("/", failureRoutes);
dashboardRoutes.route("/", deliveryRoutes);
dashboardRoutes.route("/", destinationPages);
dashboardRoutes.route("/", archiveRoutes);

dashboardRoutes.all("/dashboard/*", (c) => showMessage(c, 404, "Not found", "There is no such dashboard page."));
