/**
 * /dashboard: pages for people, server-rendered from the read model and usable without JavaScript;
 * a session cookie signs the viewer in, and every form that changes something carries a CSRF token.
 */
import { Hono } from "hono";
import { endSession, formToken, isSameOriginPost, readSession, startSession } from "../auth/session";
import { roleOfToken } from "../auth/tokens";
import { readConfig } from "../config";
import { fieldErrors } from "../errors";
import { LIST_FILTER_COLUMNS } from "../events/vocabulary";
import { startReplay } from "../followup/bulk-replay";
import { replayEvent } from "../followup/replay";
import { log } from "../lib/log";
import { readEventDeliveries, readFailingDeliveries } from "../read-model/deliveries";
import { readEvent, readEventPage, readOrder } from "../read-model/event-reads";
import { EventIdParam, ListEventsQuery, OrderNumberParam } from "../read-model/event-shapes";
import { readReconciliationFigures } from "../read-model/reconcile";
import { ReplayIdParam, readReplayProgress } from "../read-model/replays";
import { readStats } from "../read-model/stats";
import { FailingDeliveriesPage } from "./deliveries";
import { destinationPages } from "./destination-routes";
import { EventPage, OrderPage } from "./detail-pages";
import { type FilterValues, MessagePage, OverviewPage, SignInPage } from "./pages";
import { ReconcilePanel } from "./reconcile-panel";
import { ReplayPage } from "./replay-pages";
import { type Ctx, checkFormPost, type DashboardEnv, render } from "./respond";
import { dashboardSecurityHeaders } from "./security";
import { DASHBOARD_CSS, FAVICON_SVG } from "./styles";

const SIGN_IN = "/dashboard/sign-in";

/** A page that only says something (an error, a refusal), to the signed-in viewer. */
function showMessage(c: Ctx, status: 403 | 404 | 409, title: string, message: string) {
  return render(c, <MessagePage title={title} message={message} viewer={c.get("viewer")} />, status);
}

const noSuchEvent = (c: Ctx) => showMessage(c, 404, "No such event", "Nothing is stored under this id.");

/**
 * Every /dashboard page. Signing in puts the token in an HttpOnly, Secure, SameSite=Strict cookie;
 * every answer gets the security headers; pages read through `read-model/` only, and the forms that
 * change something (replays) call the same actions as the API.
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

/** The list filters the overview keeps in its links: the API's, so a new API filter is one here too. */
const FILTER_NAMES = [...LIST_FILTER_COLUMNS, "since", "until"] as const;

dashboardRoutes.get("/dashboard", async (c) => {
  const raw = c.req.query();
  // A form submits every field; empty ones mean "any", as if absent.
  const given = Object.fromEntries(Object.entries(raw).filter(([, v]) => v.trim() !== ""));
  const filters: FilterValues = Object.fromEntries(FILTER_NAMES.filter((n) => given[n]).map((n) => [n, given[n]]));
  const parsed = ListEventsQuery.safeParse(given);
  const now = Date.now();
  const [stats, summary] = await Promise.all([readStats(c.env.DB, now), readReconciliationFigures(c.env.DB, now)]);
  const extra = <ReconcilePanel summary={summary} now={now} />;
  const viewer = c.get("viewer");
  if (!parsed.success) {
    const errors = fieldErrors(parsed.error);
    const page = (
      <OverviewPage
        {...{ viewer, stats, now, filters, errors, extra }}
        events={[]}
        nextHref={null}
        firstHref="/dashboard"
      />
    );
    return render(c, page, 400);
  }
  const { events, next_cursor } = await readEventPage(c.env.DB, parsed.data);
  const href = (cursor?: string) => {
    const params = new URLSearchParams(filters as Record<string, string>);
    if (given.limit) params.set("limit", given.limit);
    if (cursor) params.set("cursor", cursor);
    const query = params.toString();
    return query ? `/dashboard?${query}` : "/dashboard";
  };
  return render(
    c,
    <OverviewPage
      {...{ viewer, stats, now, filters, events, extra }}
      errors={{}}
      nextHref={next_cursor ? href(next_cursor) : null}
      firstHref={given.cursor ? href() : null}
    />,
  );
});

dashboardRoutes.get("/dashboard/events/:id", async (c) => {
  const viewer = c.get("viewer");
  const id = EventIdParam.safeParse(c.req.param());
  const event = id.success ? await readEvent(c.env.DB, id.data.id) : null;
  if (!event) return noSuchEvent(c);
  const flash = c.req.query("replayed") === "1" ? "Replay queued: the order will be fetched again." : undefined;
  const deliveries = await readEventDeliveries(c.env.DB, event.id);
  return render(c, <EventPage viewer={viewer} event={event} flash={flash} deliveries={deliveries} />);
});

dashboardRoutes.post("/dashboard/events/:id/replay", async (c) => {
  const viewer = c.get("viewer");
  if (!(await checkFormPost(c))) {
    return showMessage(c, 403, "Not replayed", "The form was not valid; reload the page and retry.");
  }
  if (viewer.role !== "admin") {
    return showMessage(c, 403, "Not allowed", "Replaying needs an admin token.");
  }
  const id = EventIdParam.safeParse(c.req.param());
  const replayed = id.success ? await replayEvent(c.env, id.data.id) : null;
  if (!replayed) return noSuchEvent(c);
  // Like the API's 409: an invalid push was never followed up, so there is nothing to replay.
  if (!replayed.enqueued) return showMessage(c, 409, "Not replayed", "An invalid push has no follow-up.");
  return c.redirect(`/dashboard/events/${replayed.eventId}?replayed=1`, 303);
});

/** "Replay all" of the Failures page: every failed event, as one bulk replay. */
dashboardRoutes.post("/dashboard/replays", async (c) => {
  const viewer = c.get("viewer");
  if (!(await checkFormPost(c))) {
    return showMessage(c, 403, "Not replayed", "The form was not valid; reload the page and retry.");
  }
  if (viewer.role !== "admin") return showMessage(c, 403, "Not allowed", "Replaying needs an admin token.");
  const started = await startReplay(c.env, { status: "failed" }, Date.now());
  return c.redirect(`/dashboard/replays/${started.replayId}`, 303);
});

dashboardRoutes.get("/dashboard/replays/:id", async (c) => {
  const id = ReplayIdParam.safeParse({ replay_id: c.req.param("id") });
  const progress = id.success ? await readReplayProgress(c.env.DB, id.data.replay_id) : null;
  if (!progress) return showMessage(c, 404, "No such replay", "There is no replay with this id.");
  return render(c, <ReplayPage viewer={c.get("viewer")} progress={progress} />);
});

dashboardRoutes.get("/dashboard/orders/:omisell_order_number", async (c) => {
  const viewer = c.get("viewer");
  const number = OrderNumberParam.safeParse(c.req.param());
  const order = number.success ? await readOrder(c.env.DB, number.data.omisell_order_number) : null;
  if (!order) return showMessage(c, 404, "No such order", "No snapshot and no event for this order number.");
  return render(c, <OrderPage viewer={viewer} order={order} />);
});

dashboardRoutes.get("/dashboard/deliveries", async (c) => {
  const deliveries = await readFailingDeliveries(c.env);
  return render(c, <FailingDeliveriesPage viewer={c.get("viewer")} {...deliveries} />);
});

dashboardRoutes.route("/", destinationPages);

dashboardRoutes.all("/dashboard/*", (c) => showMessage(c, 404, "Not found", "There is no such dashboard page."));
