/**
 * Signing in and out of the dashboard, and the check every other page and form goes through: a
 * session cookie, sealed and checked by auth/session.ts, and the CSRF token derived from it.
 */
import type { Hono } from "hono";
import { dropLegacyCookie, endSession, formToken, isSameOriginPost, readSession, startSession } from "../auth/session";
import { clientAddressKey, guardSignIn } from "../auth/sign-in-guard";
import { roleOfToken } from "../auth/tokens";
import { readConfig } from "../config";
import { log } from "../lib/log";
import { readForm } from "./form";
import { type Ctx, checkFormPost, type DashboardEnv, render, showMessage } from "./kit";
import { MessagePage, SignInPage } from "./pages";

export const SIGN_IN = "/dashboard/sign-in";

/** Pages anyone may load: the sign-in form and its assets. */
const PUBLIC_PATHS = new Set([SIGN_IN, "/dashboard/style.css", "/dashboard/favicon.svg"]);

function minutes(seconds: number): string {
  const n = Math.max(1, Math.ceil(seconds / 60));
  return `${n} minute${n === 1 ? "" : "s"}`;
}

/**
 * A sign-in: same origin, the form read within its cap, then the token checked and the attempt
 * put to the address's SignInGuard (10 failures in 15 minutes, then 429 with Retry-After for any
 * token, the right one too). A right token gets a sealed session cookie, never the token itself.
 */
async function signIn(c: Ctx) {
  if (!isSameOriginPost(c)) return render(c, <SignInPage error="This form must be sent from this site." />, 403);
  const form = await readForm(c.req.raw);
  const token = (form.token ?? "").trim();
  const role = await roleOfToken(readConfig(c.env).api, token);
  const verdict = await guardSignIn(c.env, clientAddressKey(c.req.header("cf-connecting-ip")), role !== null);
  if (!verdict.allowed) {
    log("warn", "dashboard_sign_in_limited", { retry_after: verdict.retryAfterSeconds });
    c.header("Retry-After", String(verdict.retryAfterSeconds));
    const error = `Too many failed sign-ins from this address. Try again in ${minutes(verdict.retryAfterSeconds)}.`;
    return render(c, <SignInPage error={error} />, 429);
  }
  if (!role) {
    log("warn", "dashboard_sign_in_refused", {});
    return render(c, <SignInPage error="That token is not valid." />, 401);
  }
  await startSession(c, token, role);
  return c.redirect("/dashboard", 303);
}

/** Every page but the public ones needs a session; without one, the sign-in page (or 401 to a post). */
async function requireViewer(c: Ctx, next: () => Promise<void>) {
  dropLegacyCookie(c);
  if (PUBLIC_PATHS.has(c.req.path)) return next();
  const session = await readSession(c);
  if (!session) {
    if (c.req.method === "GET") return c.redirect(SIGN_IN, 303);
    return render(c, <MessagePage title="Signed out" message="Sign in again to do this." />, 401);
  }
  c.set("session", session);
  c.set("viewer", { role: session.role, formToken: await formToken(c.env, session) });
  await next();
}

/** Registers sign-in, the session check of every page after it, and sign-out on `routes`, in that order. */
export function addSessionRoutes(routes: Hono<DashboardEnv>): void {
  routes.get(SIGN_IN, async (c) => {
    if (await readSession(c)) return c.redirect("/dashboard", 303);
    return render(c, <SignInPage />);
  });
  routes.post(SIGN_IN, signIn);
  routes.use("/dashboard/*", requireViewer);
  routes.post("/dashboard/sign-out", async (c) => {
    if (!(await checkFormPost(c))) {
      return showMessage(c, 403, "Not signed out", "The form was not valid; reload the page and retry.");
    }
    endSession(c);
    return c.redirect(SIGN_IN, 303);
  });
}
