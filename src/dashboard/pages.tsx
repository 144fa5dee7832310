/** The dashboard's sign-in, overview and message pages (the others have files of their own). Render only. */
import type { Child } from "hono/jsx";
import type { EventSummary } from "../read-model/event-shapes";
import type { Stats } from "../read-model/stats";
import { HourlyChart } from "./chart";
import { EventTable } from "./event-table";
import { Filters, type FilterValues } from "./filters";
import { formatAgo, formatCount } from "./format";
import { FreshnessChart } from "./freshness-chart";
import { Layout, type Viewer } from "./layout";
import { ReplayAllForm } from "./replay-pages";

export type { FilterValues } from "./filters";

/** The sign-in form: a READ_API_TOKENS or ADMIN_API_TOKENS value. */
export function SignInPage({ error }: { error?: string }) {
  return (
    <Layout title="Sign in">
      <div class="card signin">
        <h1>Sign in</h1>
        <p class="muted">Use a token from READ_API_TOKENS, or ADMIN_API_TOKENS to replay events.</p>
        {error ? <p class="flash bad">{error}</p> : null}
        <form method="post" action="/dashboard/sign-in">
          <label>
            API token
            <input type="password" name="token" autocomplete="current-password" required autofocus />
          </label>
          <button type="submit">Sign in</button>
        </form>
      </div>
    </Layout>
  );
}

/** A figure with its label and a note saying what it counts; `href` makes it a link. */
export function Tile(props: { label: string; value: string; note: string; tone?: "bad" | "warn"; href?: string }) {
  const body = (
    <>
      <div class="label">{props.label}</div>
      <div class="value">{props.value}</div>
      <div class="note">{props.note}</div>
    </>
  );
  const tone = props.tone ? ` ${props.tone}` : "";
  return props.href ? (
    <a class={`tile${tone}`} href={props.href}>
      {body}
    </a>
  ) : (
    <div class={`tile${tone}`}>{body}</div>
  );
}

/** The event list's section: filters, the rows (or why there are none), the pages. */
type EventList = {
  events: EventSummary[];
  nextHref: string | null;
  firstHref: string | null;
  filters: FilterValues;
  /** Field → what is wrong: the list was not read, and the form says why. */
  errors: Record<string, string>;
  /** The page stopped at its scan budget: fewer rows than asked, and Older continues. */
  partial: boolean;
};

function EventsSection({ viewer, list }: { viewer: Viewer; list: EventList }) {
  const filtered = Object.values(list.filters).some((v) => v);
  const refused = Object.keys(list.errors).length > 0;
  return (
    <section class="card" aria-labelledby="events-title">
      <div class="card-head">
        <h2 id="events-title">Events</h2>
        <span class="muted">{filtered ? "filtered, newest first" : "newest first"}</span>
      </div>
      <Filters values={list.filters} errors={list.errors} />
      {list.filters.status === "failed" && list.events.length > 0 ? <ReplayAllForm viewer={viewer} /> : null}
      {refused ? null : (
        <EventTable
          events={list.events}
          empty={list.partial ? "None on this stretch; Older → looks further." : "No events match."}
        />
      )}
      {list.partial ? (
        <p class="muted">
          This page stopped after reading its share of rows (several rare filters together): Older → goes on.
        </p>
      ) : null}
      <nav class="pager" aria-label="Pages">
        {list.firstHref ? (
          <a class="button secondary" href={list.firstHref}>
            ← Newest
          </a>
        ) : (
          <span />
        )}
        {list.nextHref ? (
          <a class="button secondary" href={list.nextHref} rel="next">
            Older →
          </a>
        ) : null}
      </nav>
    </section>
  );
}

/**
 * The overview: tiles (what each counts said under it), the hourly chart, `panels` (forwarding,
 * reconciliation), the event list with filters and pages.
 */
export function OverviewPage(props: {
  viewer: Viewer;
  stats: Stats;
  now: number;
  tiles?: Child;
  panels?: Child;
  list: EventList;
}) {
  const { stats, now } = props;
  const last24 = stats.hourly.reduce((n, h) => n + h.total, 0);
  return (
    <Layout title="Overview" viewer={props.viewer} current="/dashboard">
      <h1>Pushes from Omisell</h1>
      <p class="sub">What arrived, what was followed up, and what needs attention. Times are UTC.</p>
      <section class="tiles" aria-label="Figures">
        <Tile
          label="Events stored, 24 h"
          value={formatCount(last24)}
          note="pushes and reconciled changes (duplicates are not stored)"
        />
        <Tile
          label="Last push"
          value={formatAgo(stats.last_received?.received_at, now)}
          note={stats.last_received ? (stats.last_received.event ?? "no event name") : "nothing received yet"}
        />
        <Tile
          label="Waiting"
          value={formatCount(stats.backlog.received)}
          note={
            stats.backlog.oldest_received_at
              ? `for their follow-up, oldest ${formatAgo(stats.backlog.oldest_received_at, now)}`
              : "nothing waiting for its follow-up"
          }
          tone={stats.backlog.received > 0 ? "warn" : undefined}
          href="/dashboard?status=received"
        />
        <Tile
          label="Failed"
          value={formatCount(stats.failures.total)}
          note={`events stored as failed; ${formatCount(stats.failures.last_24h)} in the last 24 h`}
          tone={stats.failures.total > 0 ? "bad" : undefined}
          href="/dashboard/failures"
        />
        <Tile
          label="Processed"
          value={formatCount(stats.by_status.processed ?? 0)}
          note={`events stored; ${formatCount(stats.by_status.skipped ?? 0)} skipped · ${formatCount(stats.by_status.invalid ?? 0)} invalid`}
        />
        {props.tiles}
      </section>
      <section class="card" aria-labelledby="chart-title">
        <div class="card-head">
          <h2 id="chart-title">Events stored per hour, last 24 hours</h2>
          <span class="muted">by category</span>
        </div>
        <HourlyChart hours={stats.hourly} />
      </section>
      <section class="card" aria-labelledby="freshness-title">
        <div class="card-head">
          <h2 id="freshness-title">Push to settled, last 24 hours</h2>
          <span class="muted">p50 and p95 per hour</span>
        </div>
        <FreshnessChart freshness={stats.freshness} />
      </section>
      {props.panels}
      <EventsSection viewer={props.viewer} list={props.list} />
    </Layout>
  );
}

/** A page that only says something: an error, a refusal. */
export function MessagePage({ title, message, viewer }: { title: string; message: string; viewer?: Viewer }) {
  return (
    <Layout title={title} viewer={viewer}>
      <div class="card">
        <h1>{title}</h1>
        <p class="muted">{message}</p>
        <a href="/dashboard">Back to the overview</a>
      </div>
    </Layout>
  );
}
