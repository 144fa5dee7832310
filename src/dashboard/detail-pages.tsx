/** The dashboard's detail pages: one event and one order. Render only. */
import type { Delivery } from "../read-model/deliveries";
import type { EventDetail, OrderView } from "../read-model/event-shapes";
import { EventDeliveries } from "./deliveries";
import { formatTime } from "./format";
import { CategoryLabel, Layout, StatusBadge, type Viewer } from "./layout";
import { OrderSummaryCard } from "./order-summary";

const CATALOGUE_WORDS = {
  documented: "documented by Omisell",
  observed: "observed in production, not in Omisell's documentation",
  unlisted: "not in the catalogue",
} as const;

function signatureWords(event: EventDetail): string {
  if (event.signature_valid === null) return "not checked";
  if (!event.signature_valid) return "invalid (report mode)";
  return event.signature_scheme === "static"
    ? "valid — static secret in Authorization"
    : event.signature_scheme === "hmac"
      ? "valid — HMAC-SHA256 of url|body"
      : "valid";
}

function HeaderList({ headers }: { headers: Record<string, string> }) {
  const names = Object.keys(headers);
  if (names.length === 0) return <p class="muted">None kept.</p>;
  return (
    <dl class="facts headers">
      {names.map((name) => (
        <>
          <dt class="mono">{name}</dt>
          <dd class="mono">{headers[name]}</dd>
        </>
      ))}
    </dl>
  );
}

function Json({ value }: { value: unknown }) {
  return <pre class="json">{typeof value === "string" ? value : JSON.stringify(value, null, 2)}</pre>;
}

/**
 * One event: its columns, where its name is known from, which signature scheme it matched, its
 * request headers and payload, its deliveries, and the replay form for an admin.
 */
export function EventPage({
  viewer,
  event,
  flash,
  deliveries,
}: {
  viewer: Viewer;
  event: EventDetail;
  flash?: string;
  deliveries?: Delivery[];
}) {
  const canReplay = viewer.role === "admin" && event.status !== "invalid";
  return (
    <Layout title={event.event ?? "Event"} viewer={viewer}>
      <div class="crumbs">
        <a href="/dashboard">Overview</a> / event
      </div>
      {flash ? (
        <p class="flash ok" role="status">
          {flash}
        </p>
      ) : null}
      <div class="title-row">
        <h1>{event.event ?? "(no event name)"}</h1>
        <StatusBadge status={event.status} />
        {canReplay ? (
          <form method="post" action={`/dashboard/events/${event.id}/replay`}>
            <input type="hidden" name="csrf" value={viewer.formToken} />
            <button type="submit">Replay follow-up</button>
          </form>
        ) : null}
      </div>
      <p class="sub mono">{event.id}</p>
      <div class="grid-2">
        <section class="card">
          <h2>Details</h2>
          <dl class="facts facts-gap">
            <dt>Status</dt>
            <dd>
              <StatusBadge status={event.status} />
            </dd>
            <dt>Attempts</dt>
            <dd>{event.attempts}</dd>
            <dt>Last error</dt>
            <dd>{event.last_error ? <span class="error-text">{event.last_error}</span> : "—"}</dd>
            <dt>Received</dt>
            <dd class="mono">{formatTime(event.received_at)} UTC</dd>
            <dt>Processed</dt>
            <dd class="mono">{event.processed_at ? `${formatTime(event.processed_at)} UTC` : "—"}</dd>
            <dt>Settled by</dt>
            <dd data-settled-by={event.settled_by ?? "none"}>{SETTLED_BY_WORDS[event.settled_by ?? "none"]}</dd>
            <dt>Category</dt>
            <dd>
              <CategoryLabel category={event.category} />
            </dd>
            <dt>Event name</dt>
            <dd data-catalogue={event.catalogue}>{CATALOGUE_WORDS[event.catalogue]}</dd>
            <dt>Source</dt>
            <dd>{event.source}</dd>
            <dt>Order</dt>
            <dd class="mono">
              {event.order_number ? (
                <a href={`/dashboard/orders/${encodeURIComponent(event.order_number)}`}>{event.order_number}</a>
              ) : (
                "—"
              )}
            </dd>
            <dt>Resource</dt>
            <dd class="mono">{event.resource_id ? `${event.resource_type ?? ""} ${event.resource_id}` : "—"}</dd>
            <dt>Seller</dt>
            <dd class="mono">{event.seller_id ?? "—"}</dd>
            <dt>Request id</dt>
            <dd class="mono">{event.request_id ?? "—"}</dd>
            <dt>Dedupe key</dt>
            <dd class="mono">{event.dedupe_key}</dd>
            <dt>Signature</dt>
            <dd data-signature-scheme={event.signature_scheme ?? "none"}>{signatureWords(event)}</dd>
          </dl>
          <h2>Request headers</h2>
          <HeaderList headers={event.headers} />
        </section>
        <section class="card">
          <h2>Payload as received</h2>
          <Json value={event.payload} />
        </section>
      </div>
      <EventDeliveries deliveries={deliveries} />
    </Layout>
  );
}

/** How an event was settled, in words (`settled_by`). */
const SETTLED_BY_WORDS = {
  detail: "its order's detail, fetched after it arrived",
  snapshot: "the stored detail (already newer, no call)",
  list: "Omisell's order list (a sale-day listing)",
  none: "—",
} as const;

/** The order list's row of an order, when it is newer than the snapshot: its status and when it was listed. */
function ListedSummary({ order }: { order: OrderView }) {
  const newer = order.summary_at !== null && (order.fetched_at === null || order.summary_at > order.fetched_at);
  if (!newer || order.summary === null || typeof order.summary !== "object") return null;
  const status = (order.summary as { status_name?: unknown }).status_name;
  return (
    <>
      <dt>Listed</dt>
      <dd>
        {typeof status === "string" ? status : "—"}{" "}
        <span class="muted mono">at {formatTime(order.summary_at ?? 0)} UTC (newer than the snapshot)</span>
      </dd>
    </>
  );
}

/** One order: a readable summary of its latest snapshot from Omisell, its timeline, and the snapshot as JSON. */
export function OrderPage({ viewer, order }: { viewer: Viewer; order: OrderView }) {
  return (
    <Layout title={order.omisell_order_number} viewer={viewer}>
      <div class="crumbs">
        <a href="/dashboard">Overview</a> / order
      </div>
      <div class="title-row">
        <h1>Order {order.omisell_order_number}</h1>
        {order.status_name ? <span class="badge s-received">{order.status_name}</span> : null}
      </div>
      <p class="sub">
        {order.fetched_at
          ? `Snapshot fetched from Omisell at ${formatTime(order.fetched_at)} UTC.`
          : "No snapshot fetched from Omisell yet."}{" "}
        <a href={`/dashboard?order_number=${encodeURIComponent(order.omisell_order_number)}`}>Events for this order</a>
      </p>
      <OrderSummaryCard order={order.order} fetchedAt={order.fetched_at} />
      <div class="grid-2">
        <section class="card">
          <h2>Snapshot</h2>
          <dl class="facts facts-gap">
            <dt>Status</dt>
            <dd>{order.status_name ?? "—"}</dd>
            <dt>Fetched</dt>
            <dd class="mono">{order.fetched_at ? `${formatTime(order.fetched_at)} UTC` : "not yet"}</dd>
            <ListedSummary order={order} />
            <dt>From event</dt>
            <dd class="mono">
              {order.last_event_id ? (
                <a href={`/dashboard/events/${order.last_event_id}`}>{order.last_event_id}</a>
              ) : (
                "—"
              )}
            </dd>
          </dl>
          <h2>Timeline ({order.events.length})</h2>
          <ol class="timeline">
            {order.events.map((e) => (
              <li>
                <span class="when mono">{formatTime(e.received_at)}</span>
                <a href={`/dashboard/events/${e.id}`}>{e.event ?? "(no event name)"}</a>
                <StatusBadge status={e.status} />
              </li>
            ))}
          </ol>
        </section>
        <section class="card">
          <h2>Latest snapshot from Omisell</h2>
          {order.order === null ? <p class="muted">Not fetched yet.</p> : <Json value={order.order} />}
        </section>
      </div>
    </Layout>
  );
}
