/** The dashboard's sign-in, overview and message pages (one event and one order: detail-pages.tsx). Render only. */
import type { Child } from "hono/jsx";
import { KNOWN_EVENTS } from "../events/catalogue";
import { EVENT_STATUSES, type ListFilterColumn } from "../events/vocabulary";
import type { EventSummary } from "../read-model/event-shapes";
import type { Stats } from "../read-model/stats";
import { HourlyChart } from "./chart";
import { CATEGORY_LABELS, formatAgo, formatCount, formatTime } from "./format";
import { FreshnessChart } from "./freshness-chart";
import { CategoryLabel, Layout, StatusBadge, type Viewer } from "./layout";
import { ReplayAllForm } from "./replay-pages";

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

function Tile({ label, value, note, tone }: { label: string; value: string; note: string; tone?: "bad" | "warn" }) {
  return (
    <div class={`tile${tone ? ` ${tone}` : ""}`}>
      <div class="label">{label}</div>
      <div class="value">{value}</div>
      <div class="note">{note}</div>
    </div>
  );
}

/** The overview's filters as typed, kept in the form and in the page links. */
export type FilterValues = Partial<Record<ListFilterColumn | "since" | "until", string>>;

/** A filter chosen from a list; the empty first option ("Any …") means no filter. */
function AnySelect(props: {
  label: string;
  name: keyof FilterValues;
  values: FilterValues;
  options: readonly string[];
  labels?: Record<string, string>;
}) {
  const selected = props.values[props.name];
  return (
    <label>
      {props.label}
      <select name={props.name}>
        <option value="">Any {props.label.toLowerCase()}</option>
        {props.options.map((value) => (
          <option value={value} selected={value === selected}>
            {props.labels?.[value] ?? value}
          </option>
        ))}
      </select>
    </label>
  );
}

function Filters({ values, errors }: { values: FilterValues; errors: Record<string, string> }) {
  return (
    <form method="get" action="/dashboard" class="filters" aria-label="Filter events">
      <AnySelect label="Event" name="event" values={values} options={KNOWN_EVENTS} />
      <AnySelect
        label="Category"
        name="category"
        values={values}
        options={Object.keys(CATEGORY_LABELS)}
        labels={CATEGORY_LABELS}
      />
      <AnySelect label="Status" name="status" values={values} options={EVENT_STATUSES} />
      <label>
        Order
        <input name="order_number" value={values.order_number ?? ""} placeholder="OM2411280001" />
      </label>
      <label>
        Resource
        <input name="resource_id" value={values.resource_id ?? ""} placeholder="SH2411280001" />
      </label>
      <label>
        Seller
        <input name="seller_id" value={values.seller_id ?? ""} placeholder="1001" />
      </label>
      <label>
        Since (UTC)
        <input name="since" value={values.since ?? ""} placeholder="2024-11-28T00:00" />
      </label>
      <label>
        Until (UTC)
        <input name="until" value={values.until ?? ""} placeholder="2024-11-29" />
      </label>
      <div class="actions">
        <button type="submit">Apply</button>
        <a class="button secondary" href="/dashboard">
          Reset
        </a>
      </div>
      {Object.keys(errors).length > 0 ? (
        <p class="flash bad" role="alert">
          {Object.entries(errors)
            .map(([field, message]) => `${field}: ${message}`)
            .join(" · ")}
        </p>
      ) : null}
    </form>
  );
}

function EventTable({ events }: { events: EventSummary[] }) {
  if (events.length === 0) return <p class="empty">No events match.</p>;
  return (
    <div class="table-wrap">
      <table class="event-list">
        <thead>
          <tr>
            <th>Time (UTC)</th>
            <th>Event</th>
            <th class="hide-sm">Category</th>
            <th class="hide-sm">Order / resource</th>
            <th class="hide-sm">Seller</th>
            <th>Status</th>
            <th class="hide-sm num">Attempts</th>
          </tr>
        </thead>
        <tbody>
          {events.map((e) => (
            <tr>
              <td class="nowrap mono">
                <a href={`/dashboard/events/${e.id}`}>
                  <span class="date">{formatTime(e.received_at).slice(0, 11)}</span>
                  {formatTime(e.received_at).slice(11)}
                </a>
              </td>
              <td>
                <a href={`/dashboard/events/${e.id}`}>{e.event ?? "(no event name)"}</a>
              </td>
              <td class="hide-sm">
                <CategoryLabel category={e.category} />
              </td>
              <td class="hide-sm mono">
                {e.order_number ? (
                  <a href={`/dashboard/orders/${encodeURIComponent(e.order_number)}`}>
                    {e.resource_id ?? e.order_number}
                  </a>
                ) : (
                  (e.resource_id ?? "—")
                )}
              </td>
              <td class="hide-sm mono">{e.seller_id ?? "—"}</td>
              <td>
                <StatusBadge status={e.status} />
              </td>
              <td class="hide-sm num">{e.attempts}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** The overview: tiles, the hourly chart, `extra` (the reconciliation card), the event list with filters and pages. */
export function OverviewPage(props: {
  viewer: Viewer;
  stats: Stats;
  events: EventSummary[];
  nextHref: string | null;
  firstHref: string | null;
  filters: FilterValues;
  errors: Record<string, string>;
  now: number;
  extra?: Child;
}) {
  const { stats, now } = props;
  const last24 = stats.hourly.reduce((n, h) => n + h.total, 0);
  const filtered = Object.values(props.filters).some((v) => v);
  return (
    <Layout title="Overview" viewer={props.viewer}>
      <h1>Pushes from Omisell</h1>
      <p class="sub">What arrived, what was followed up, and what needs attention. Times are UTC.</p>
      <section class="tiles" aria-label="Figures">
        <Tile label="Last 24 h" value={formatCount(last24)} note="pushes received" />
        <Tile
          label="Last push"
          value={formatAgo(stats.last_received?.received_at, now)}
          note={stats.last_received ? (stats.last_received.event ?? "no event name") : "nothing received yet"}
        />
        <Tile
          label="Backlog"
          value={formatCount(stats.backlog.received)}
          note={
            stats.backlog.oldest_received_at
              ? `oldest ${formatAgo(stats.backlog.oldest_received_at, now)}`
              : "nothing waiting"
          }
          tone={stats.backlog.received > 0 ? "warn" : undefined}
        />
        <Tile
          label="Failed"
          value={formatCount(stats.failures.total)}
          note={`${formatCount(stats.failures.last_24h)} in the last 24 h`}
          tone={stats.failures.total > 0 ? "bad" : undefined}
        />
        <Tile
          label="Processed"
          value={formatCount(stats.by_status.processed ?? 0)}
          note={`${formatCount(stats.by_status.skipped ?? 0)} skipped · ${formatCount(stats.by_status.invalid ?? 0)} invalid`}
        />
      </section>
      <section class="card" aria-labelledby="chart-title">
        <div class="card-head">
          <h2 id="chart-title">Pushes per hour, last 24 hours</h2>
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
      {props.extra}
      <section class="card" aria-labelledby="events-title">
        <div class="card-head">
          <h2 id="events-title">Events</h2>
          <span class="muted">{filtered ? "filtered, newest first" : "newest first"}</span>
        </div>
        <Filters values={props.filters} errors={props.errors} />
        {props.filters.status === "failed" && props.events.length > 0 ? <ReplayAllForm viewer={props.viewer} /> : null}
        <EventTable events={props.events} />
        <nav class="pager" aria-label="Pages">
          {props.firstHref ? (
            <a class="button secondary" href={props.firstHref}>
              ← Newest
            </a>
          ) : (
            <span />
          )}
          {props.nextHref ? (
            <a class="button secondary" href={props.nextHref} rel="next">
              Older →
            </a>
          ) : null}
        </nav>
      </section>
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
