/** GET /dashboard: the overview's figures and panels, and the event list with the API's filters and pages. */
import { Hono } from "hono";
import { fieldErrors, HttpError } from "../errors";
import { LIST_FILTER_COLUMNS } from "../events/vocabulary";
import { readForwardingSummary } from "../read-model/deliveries";
import { readEventPage } from "../read-model/event-reads";
import { ListEventsQuery } from "../read-model/event-shapes";
import { readReconciliationFigures } from "../read-model/reconcile";
import { readStats } from "../read-model/stats";
import { ForwardingTile } from "./deliveries";
import { type DashboardEnv, render } from "./kit";
import { type FilterValues, OverviewPage } from "./pages";
import { ReconcilePanel } from "./reconcile-panel";

export const overviewRoutes = new Hono<DashboardEnv>();

/** The list filters the overview keeps in its links: the API's, so a new API filter is one here too. */
const FILTER_NAMES = [...LIST_FILTER_COLUMNS, "since", "until"] as const;

/** The fields of a refused cursor (a 400 of the read), or null for any other error. */
function refusedFields(err: unknown): Record<string, string> | null {
  return err instanceof HttpError && err.status === 400 && err.extra.fields ? err.extra.fields : null;
}

overviewRoutes.get("/dashboard", async (c) => {
  const raw = c.req.query();
  // A form submits every field; empty ones mean "any", as if absent.
  const given = Object.fromEntries(Object.entries(raw).filter(([, v]) => v.trim() !== ""));
  const filters: FilterValues = Object.fromEntries(FILTER_NAMES.filter((n) => given[n]).map((n) => [n, given[n]]));
  const now = Date.now();
  const [stats, reconciliation, forwarding] = await Promise.all([
    readStats(c.env.DB, now),
    readReconciliationFigures(c.env.DB, now),
    readForwardingSummary(c.env),
  ]);
  const frame = {
    viewer: c.get("viewer"),
    stats,
    now,
    tiles: <ForwardingTile summary={forwarding} now={now} />,
    panels: <ReconcilePanel summary={reconciliation} now={now} />,
  };
  const refused = (errors: Record<string, string>) =>
    render(
      c,
      <OverviewPage
        {...frame}
        list={{ events: [], nextHref: null, firstHref: "/dashboard", filters, errors, partial: false }}
      />,
      400,
    );
  const parsed = ListEventsQuery.safeParse(given);
  if (!parsed.success) return refused(fieldErrors(parsed.error));
  let page: Awaited<ReturnType<typeof readEventPage>>;
  try {
    page = await readEventPage(c.env, parsed.data);
  } catch (err) {
    const fields = refusedFields(err);
    if (fields) return refused(fields);
    throw err;
  }
  const href = (cursor?: string) => {
    const params = new URLSearchParams(filters as Record<string, string>);
    if (given.limit) params.set("limit", given.limit);
    if (cursor) params.set("cursor", cursor);
    const query = params.toString();
    return query ? `/dashboard?${query}` : "/dashboard";
  };
  const list = {
    events: page.events,
    nextHref: page.next_cursor ? href(page.next_cursor) : null,
    firstHref: given.cursor ? href() : null,
    filters,
    errors: {},
    partial: page.partial,
  };
  return render(c, <OverviewPage {...frame} list={list} />);
});
