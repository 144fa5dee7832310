/**
 * /dashboard: pages for people, server-rendered from the read model and usable without JavaScript;
 * a session cookie signs the viewer in, and every form that changes something carries a CSRF token.
 */
import { Hono } from "hono";
import { endSession, formToken, isSameOriginPost, readSession, startSession } from "../auth/session";
import { roleOfToken } from "../auth/tokens";
import { readConfig } from "../config";
import { log } from "../lib/log";
import { deliveryRoutes } from "./delivery-routes";
import { detailRoutes } from "./detail-routes";
import { failureRoutes } from "./failure-routes";
import { type Ctx, checkFormPost, type DashboardEnv, render, showMessage } from "./kit";
import { overviewRoutes } from "./overview-routes";
import { MessagePage, SignInPage } from "./pages";
import { dashboardSecurityHeaders } from "./security";
import { DASHBOARD_CSS, FAVICON_SVG } from "./styles";

const SIGN_IN = "/dashboard/sign-in";

/**
 * Every /dashboard page. Signing in puts the token in an HttpOnly, Secure, SameSite=Strict cookie;
 * every answer gets the security headers; pages read through `read-model/` only, and the forms that
 * change something (replays, a delivery's retry) call the same actions as the API. A page's routes
 * live in a file of their own, mounted below.
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

dashboardRoutes.get(SIGN_IN, async (c) => {
  if (await readSession(c)) return c.redirect("/dashboard", 303);
  return render(c, <SignInPage />);
});

dashboardRoutes.post(SIGN_IN, async (c) => {
  if (!isSameOriginPost(c)) return render(c, <SignInPage error="This form must be sent from this site." />, 403);
  const form = await c.req.parseBody();
  const token = typeof form.token === "string" ? form.token.trim() : "";
  if (!(await roleOfToken(readConfig(c.env).api, token))) {
    log("warn", "dashboard_sign_in_refused", {});
    return render(c, <SignInPage error="That token is not valid." />, 401);
  }
  startSession(c, token);
  return c.redirect("/dashboard", 303);
});

/** Every page below needs a signed-in viewer; without one, the sign-in page. */
const PUBLIC_PATHS = new Set([SIGN_IN, "/dashboard/style.css", "/dashboard/favicon.svg"]);
dashboardRoutes.use("/dashboard/*", async (c, next) => {
  if (PUBLIC_PATHS.has(c.req.path)) return next();
  return withViewer(c, next);
});

async function withViewer(c: Ctx, next: () => Promise<void>) {
  const session = await readSession(c);
  if (!session) {
    if (c.req.method === "GET") return c.redirect(SIGN_IN, 303);
    return render(c, <MessagePage title="Signed out" message="Sign in again to do this." />, 401);
  }
  c.set("viewer", { role: session.role, formToken: await formToken(session.token) });
  c.set("sessionToken", session.token);
  await next();
}

dashboardRoutes.post("/dashboard/sign-out", async (c) => {
  if (!(await checkFormPost(c))) {
    return showMessage(c, 403, "Not signed out", "The form was not valid; reload and retry.");
  }
  endSession(c);
  return c.redirect(SIGN_IN, 303);
});

dashboardRoutes.route("/", overviewRoutes);
dashboardRoutes.route("/", detailRoutes);
dashboardRoutes.route("/", failureRoutes);
dashboardRoutes.route("/", deliveryRoutes);

dashboardRoutes.all("/dashboard/*", (c) => showMessage(c, 404, "Not found", "There is no such dashboard page."));
