/** The Destinations page: each destination's health for everyone, its forms for admins, and the alerts. Render only. */
import type { Alert } from "../read-model/alerts";
import type { Destination } from "../read-model/destinations";
import { formatAgo, formatCount, formatTime } from "./format";
import { Layout, type Viewer } from "./layout";

const STATE_CLASS = { active: "s-processed", paused: "s-skipped", disabled: "s-failed" } as const;

/** What an action left to show once: a note, an error, a new secret, a test's outcome. */
export type DestinationsNotice = {
  ok?: string;
  error?: string;
  fields?: Record<string, string>;
  secret?: { destination: string; value: string };
};

function Csrf({ viewer }: { viewer: Viewer }) {
  return <input type="hidden" name="csrf" value={viewer.formToken} />;
}

/** A one-button form posting to `/dashboard/destinations/<id>/<action>`. */
function ActionButton(props: { viewer: Viewer; id: string; action: string; label: string; secondary?: boolean }) {
  return (
    <form method="post" action={`/dashboard/destinations/${props.id}/${props.action}`}>
      <Csrf viewer={props.viewer} />
      <button type="submit" class={props.secondary ? "secondary" : undefined}>
        {props.label}
      </button>
    </form>
  );
}

function FilterText({ filter }: { filter: Destination["filter"] }) {
  const parts = Object.entries(filter).map(([part, values]) => `${part}: ${(values ?? []).join(", ") || "(none)"}`);
  return <span class="mono">{parts.length === 0 ? "everything settled" : parts.join(" · ")}</span>;
}

function DestinationCard({ viewer, destination, now }: { viewer: Viewer; destination: Destination; now: number }) {
  const d = destination;
  const admin = viewer.role === "admin";
  return (
    <section class="card" aria-label={d.name}>
      <div class="card-head">
        <h2>{d.name}</h2>
        <span class={`badge ${STATE_CLASS[d.state]}`}>{d.state}</span>
        <span class="muted mono">{d.id}</span>
      </div>
      {d.disabled_reason ? <p class="flash bad">{d.disabled_reason}</p> : null}
      <div class="tiles dest-tiles">
        <Tile label="Delivered 24 h" value={formatCount(d.health.delivered_24h)} />
        <Tile label="Failed attempts 24 h" value={formatCount(d.health.failed_24h)} bad={d.health.failed_24h > 0} />
        <Tile label="Lag (seq)" value={formatCount(d.health.lag)} />
        <Tile label="Events lost" value={formatCount(d.events_lost)} bad={d.events_lost > 0} />
      </div>
      <dl class="facts">
        <dt>URL</dt>
        <dd class="mono">{d.url}</dd>
        <dt>Format</dt>
        <dd>{d.format === "raw" ? "raw (the Omisell push body)" : "envelope (event and order)"}</dd>
        <dt>Filter</dt>
        <dd>
          <FilterText filter={d.filter} />
        </dd>
        <dt>Rate cap</dt>
        <dd>{d.rate_per_minute ? `${d.rate_per_minute} a minute` : "none"}</dd>
        <dt>Last delivered</dt>
        <dd>
          {formatAgo(d.health.last_delivered_at, now)}{" "}
          <span class="muted">{formatTime(d.health.last_delivered_at)}</span>
        </dd>
        <dt>Last error</dt>
        <dd>
          {d.health.last_error ? <span class="error-text">{d.health.last_error}</span> : "—"}{" "}
          <span class="muted">{d.health.last_error_at ? formatAgo(d.health.last_error_at, now) : ""}</span>
        </dd>
        {d.previous_secret_valid_until ? (
          <>
            <dt>Rotation</dt>
            <dd>the previous secret also signs until {formatTime(d.previous_secret_valid_until)} UTC</dd>
          </>
        ) : null}
      </dl>
      <div class="dest-actions">
        {admin ? (
          <>
            <ActionButton viewer={viewer} id={d.id} action="test" label="Test" secondary />
            {d.state === "active" ? (
              <ActionButton viewer={viewer} id={d.id} action="pause" label="Pause" secondary />
            ) : (
              <ActionButton viewer={viewer} id={d.id} action="resume" label="Resume" />
            )}
            <ActionButton viewer={viewer} id={d.id} action="retry-failed" label="Retry failed" secondary />
            {d.config_managed ? null : (
              <>
                <ActionButton viewer={viewer} id={d.id} action="rotate-secret" label="Rotate secret" secondary />
                <a class="button secondary" href={`/dashboard/destinations/${d.id}`}>
                  Edit
                </a>
              </>
            )}
          </>
        ) : null}
      </div>
      {d.config_managed ? (
        <p class="muted">FORWARD_URL's destination: change it through FORWARD_URL and FORWARD_SECRET.</p>
      ) : null}
    </section>
  );
}

function Tile({ label, value, bad }: { label: string; value: string; bad?: boolean }) {
  return (
    <div class={`tile${bad ? " bad" : ""}`}>
      <div class="label">{label}</div>
      <div class="value">{value}</div>
    </div>
  );
}

/** The fields of a destination's form, filled with `values` (the last submission, or the destination). */
export type DestinationFormValues = Partial<
  Record<
    "name" | "url" | "format" | "events" | "categories" | "statuses" | "seller_ids" | "rate_per_minute" | "start",
    string
  >
>;

/** The create form (no `id`) or the edit form of one destination. */
export function DestinationForm(props: {
  viewer: Viewer;
  id?: string;
  values: DestinationFormValues;
  fields?: Record<string, string> | undefined;
}) {
  const v = props.values;
  const err = (name: string) => {
    const problem = props.fields?.[name] ?? props.fields?.[`filter.${name}`];
    return problem ? <span class="error-text">{problem}</span> : null;
  };
  const text = (name: keyof DestinationFormValues, label: string, hint = "") => (
    <label>
      {label}
      <input name={name} value={v[name] ?? ""} placeholder={hint} />
      {err(name)}
    </label>
  );
  return (
    <form
      method="post"
      action={props.id ? `/dashboard/destinations/${props.id}` : "/dashboard/destinations"}
      class="dest-form"
    >
      <Csrf viewer={props.viewer} />
      {text("name", "Name", "ERP")}
      {text("url", "URL", "https://erp.example.com/hooks/omisell")}
      <label>
        Format
        <select name="format">
          <option value="envelope" selected={v.format !== "raw"}>
            envelope (event and order)
          </option>
          <option value="raw" selected={v.format === "raw"}>
            raw (the Omisell push body)
          </option>
        </select>
      </label>
      {text("rate_per_minute", "Rate cap a minute", "none")}
      {text("events", "Events or prefixes", "order., shipment.delivered")}
      {text("categories", "Categories", "order, shipment")}
      {text("statuses", "Final statuses", "processed, failed")}
      {text("seller_ids", "Seller ids", "1001")}
      {props.id ? null : text("start", "Start", "now, or a seq to send the history after")}
      {err("request")}
      <div class="actions">
        <button type="submit">{props.id ? "Save" : "Create destination"}</button>
      </div>
    </form>
  );
}

function AlertList({ alerts }: { alerts: Alert[] }) {
  if (alerts.length === 0) return <p class="empty">No alert yet (ALERT_URL unset, or nothing happened).</p>;
  return (
    <div class="table-wrap">
      <table>
        <thead>
          <tr>
            <th>Raised (UTC)</th>
            <th>Kind</th>
            <th>About</th>
            <th>Sent</th>
            <th class="hide-sm">Last error</th>
          </tr>
        </thead>
        <tbody>
          {alerts.map((a) => (
            <tr>
              <td class="nowrap mono">{formatTime(a.created_at)}</td>
              <td class="nowrap">{a.kind}</td>
              <td class="mono">{a.subject}</td>
              <td>
                <span
                  class={`badge ${a.status === "sent" ? "s-processed" : a.status === "failed" ? "s-failed" : "s-received"}`}
                >
                  {a.status}
                </span>
              </td>
              <td class="hide-sm">{a.last_error ?? "—"}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** /dashboard/destinations: every destination, the create form (admins), the latest alerts. */
export function DestinationsPage(props: {
  viewer: Viewer;
  destinations: Destination[];
  alerts: Alert[];
  now: number;
  notice?: DestinationsNotice;
  values?: DestinationFormValues;
}) {
  const { viewer, notice } = props;
  return (
    <Layout title="Destinations" viewer={viewer} current="/dashboard/destinations">
      <h1>Destinations</h1>
      <p class="sub">
        Where settled events go, each with its own filter, format, secret and rate cap, walked from the change feed.
      </p>
      {notice?.ok ? (
        <p class="flash ok" role="status">
          {notice.ok}
        </p>
      ) : null}
      {notice?.error ? <p class="flash bad">{notice.error}</p> : null}
      {notice?.secret ? (
        <section class="card secret-box" aria-label="New secret">
          <h2>Secret of {notice.secret.destination}</h2>
          <p>Shown once: copy it into the receiving system now (Standard Webhooks, `whsec_…`).</p>
          <pre class="json">{notice.secret.value}</pre>
        </section>
      ) : null}
      {props.destinations.length === 0 ? (
        <p class="empty">No destination: set FORWARD_URL, or create one below.</p>
      ) : (
        props.destinations.map((destination) => (
          <DestinationCard viewer={viewer} destination={destination} now={props.now} />
        ))
      )}
      {viewer.role === "admin" ? (
        <section class="card" aria-labelledby="new-destination">
          <h2 id="new-destination">New destination</h2>
          <DestinationForm viewer={viewer} values={props.values ?? {}} fields={notice?.fields} />
        </section>
      ) : null}
      <section class="card" aria-labelledby="alerts-title">
        <h2 id="alerts-title">Alerts</h2>
        <AlertList alerts={props.alerts} />
      </section>
    </Layout>
  );
}

/** /dashboard/destinations/<id>: the edit form of one destination. */
export function DestinationEditPage(props: {
  viewer: Viewer;
  destination: Destination;
  values: DestinationFormValues;
  error?: string;
  fields?: Record<string, string> | undefined;
}) {
  const { viewer, destination } = props;
  return (
    <Layout title={`Edit ${destination.name}`} viewer={viewer}>
      <div class="crumbs">
        <a href="/dashboard/destinations">Destinations</a> / edit
      </div>
      <h1>{destination.name}</h1>
      <p class="sub mono">{destination.id}</p>
      {props.error ? <p class="flash bad">{props.error}</p> : null}
      <section class="card">
        <DestinationForm viewer={viewer} id={destination.id} values={props.values} fields={props.fields} />
      </section>
      <section class="card">
        <h2>Delete</h2>
        <p class="muted">Its pending deliveries are cancelled; delivered and failed ones stay listed.</p>
        <ActionButton viewer={viewer} id={destination.id} action="delete" label="Delete destination" secondary />
      </section>
    </Layout>
  );
}
