/** How dashboard routes answer: a page with the doctype, and the check of a form post that changes something. */
import type { Context } from "hono";
import { raw } from "hono/html";
import type { Child } from "hono/jsx";
import { isSameOriginPost, isValidFormToken } from "../auth/session";
import type { Viewer } from "./layout";

export type DashboardEnv = { Bindings: Env; Variables: { viewer: Viewer; sessionToken: string } };
export type Ctx = Context<DashboardEnv>;
export type PageStatus = 200 | 400 | 401 | 403 | 404 | 409;

export async function render(c: Ctx, page: Child, status: PageStatus = 200) {
  return c.html(
    <>
      {raw("<!doctype html>")}
      {page}
    </>,
    status,
  );
}

/** A form post that changes something: same origin, and the session's CSRF token. */
export async function checkFormPost(c: Ctx): Promise<boolean> {
  const form = await c.req.parseBody();
  return isSameOriginPost(c) && (await isValidFormToken(c.get("sessionToken"), form.csrf));
}
