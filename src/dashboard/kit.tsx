/**
 * What every dashboard route uses: its Hono env, rendering a page (with the pipeline's health,
 * read once per page for the banner), a page that only says something, and the form checks.
 */
import type { Context } from "hono";
import { raw } from "hono/html";
import type { Child } from "hono/jsx";
import { isSameOriginPost, isValidFormToken, type Session } from "../auth/session";
import { describeError } from "../errors";
import { log } from "../lib/log";
import { type PipelineHealthView, readPipelineHealth } from "../read-model/health";
import { readForm } from "./form";
import { HealthContext } from "./health-banner";
import type { Viewer } from "./layout";
import { MessagePage } from "./pages";

export type DashboardEnv = { Bindings: Env; Variables: { viewer: Viewer; session: Session } };
export type Ctx = Context<DashboardEnv>;
export type PageStatus = 200 | 400 | 401 | 403 | 404 | 409 | 429;

/** The health the banner shows; null when it cannot be read (the page still renders, without a banner). */
async function bannerHealth(env: Env): Promise<PipelineHealthView | null> {
  try {
    return await readPipelineHealth(env, Date.now());
  } catch (err) {
    log("error", "dashboard_health_failed", { error: describeError(err) });
    return null;
  }
}

/**
 * A whole page. For a signed-in viewer the pipeline's health is read here, once per page (a few
 * bounded reads, the same as /health/pipeline), and every Layout below shows it as the banner.
 */
export async function render(c: Ctx, page: Child, status: PageStatus = 200) {
  const viewer = c.var.viewer as Viewer | undefined;
  const health = viewer ? await bannerHealth(c.env) : null;
  return c.html(
    <>
      {raw("<!doctype html>")}
      <HealthContext.Provider value={health}>{page}</HealthContext.Provider>
    </>,
    status,
  );
}

/** A page that only says something (an error, a refusal), to the signed-in viewer. */
export function showMessage(c: Ctx, status: PageStatus, title: string, message: string) {
  return render(c, <MessagePage title={title} message={message} viewer={c.get("viewer")} />, status);
}

export const noSuchEvent = (c: Ctx) => showMessage(c, 404, "No such event", "Nothing is stored under this id.");

/** A form post that changes something: same origin, and the session's CSRF token (the body read within its cap). */
export async function checkFormPost(c: Ctx): Promise<boolean> {
  if (!isSameOriginPost(c)) return false;
  const form = await readForm(c.req.raw);
  return isValidFormToken(c.env, c.get("session"), form.csrf);
}

/**
 * The refusal page of an admin's form (`what` failed: "Not replayed"), or null when the post is
 * valid and the viewer is an admin.
 */
export async function refuseUnlessAdminPost(c: Ctx, what: string, needs: string): Promise<Response | null> {
  if (!(await checkFormPost(c))) return showMessage(c, 403, what, "The form was not valid; reload the page and retry.");
  if (c.get("viewer").role !== "admin") return showMessage(c, 403, "Not allowed", `${needs} needs an admin token.`);
  return null;
}
