/** What every dashboard route shares: its context (bindings, viewer, session) and how a page is answered. */
import type { Context } from "hono";
import { raw } from "hono/html";
import type { Child } from "hono/jsx";
import type { Session } from "../auth/session";
import type { Viewer } from "./layout";
import { MessagePage } from "./pages";

export type DashboardEnv = { Bindings: Env; Variables: { viewer: Viewer; session: Session } };
export type Ctx = Context<DashboardEnv>;

type PageStatus = 200 | 400 | 401 | 403 | 404 | 409 | 429;

/** A whole HTML page. */
export async function render(c: Ctx, page: Child, status: PageStatus = 200) {
  return c.html(
    <>
      {raw("<!doctype html>")}
      {page}
    </>,
    status,
  );
}

/** A page that only says something (an error, a refusal), to the signed-in viewer. */
export function showMessage(c: Ctx, status: 403 | 404 | 409, title: string, message: string) {
  return render(c, <MessagePage title={title} message={message} viewer={c.get("viewer")} />, status);
}
