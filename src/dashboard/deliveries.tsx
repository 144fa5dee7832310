/** The dashboard's view of forwarding: an event's deliveries, the failing ones with a Retry button, the overview's tile. Render only. */
import type { Delivery, FailingDeliveries, ForwardingSummary, ListedDelivery } from "../read-model/deliveries";
import { formatAgo, formatCount, formatTime } from "./format";
import { Layout, type Viewer } from "./layout";
import { Tile } from "./pages";

/** Delivery statuses in the colours of the event statuses they resemble. */
const BADGE_CLASS = {
  pending: "s-received",
  delivered: "s-processed",
  failed: "s-failed",
  cancelled: "s-skipped",
} as const;

function DeliveryBadge({ status }: { status: Delivery["status"] }) {
  return <span class={`badge ${BADGE_CLASS[status]}`}>{status}</span>;
}

/** An admin's Retry of a failed delivery: a form with the CSRF token (no script). */
function RetryForm({ viewer, delivery }: { viewer: Viewer; delivery: ListedDelivery }) {
  if (viewer.role !== "admin" || delivery.status !== "failed") return null;
  return (
    <form method="post" action={`/dashboard/deliveries/${delivery.id}/retry`} class="inline">
      <input type="hidden" name="csrf" value={viewer.formToken} />
      <button type="submit" class="small">
        Retry
      </button>
    </form>
  );
}

/**
 * Failing deliveries, each with its event, order and destination: the failed ones with Retry for
 * an admin, the retrying ones with their next attempt.
 */
function FailingTable({
  viewer,
  deliveries,
  kind,
}: {
  viewer: Viewer;
  deliveries: ListedDelivery[];
  kind: "failed" | "retrying";
}) {
  return (
    <div class="table-wrap">
      <table class="stack deliveries">
        <thead>
          <tr>
            <th>Last attempt (UTC)</th>
            <th>Event</th>
            <th>Order</th>
            <th class="hide-sm">Destination</th>
            <th>Status</th>
            <th class="hide-sm num">Attempts</th>
            <th>Last error</th>
            {kind === "retrying" ? <th class="hide-sm">Next attempt (UTC)</th> : <th />}
          </tr>
        </thead>
        <tbody>
          {deliveries.map((d) => (
            <tr id={`delivery-${d.id}`}>
              <td class="nowrap mono when" title={`webhook-id ${d.id}`}>
                {formatTime(d.last_attempt_at ?? d.created_at)}
              </td>
              <td class="what">
                <a href={`/dashboard/events/${d.event_id}`}>{d.event ?? "(event no longer stored)"}</a>
              </td>
              <td class="mono nowrap sub-line">
                {d.order_number ? (
                  <a href={`/dashboard/orders/${encodeURIComponent(d.order_number)}`}>{d.order_number}</a>
                ) : (
                  "—"
                )}
              </td>
              <td class="hide-sm" title={d.destination_id}>
                {d.destination ?? `${d.destination_id} (deleted)`}
              </td>
              <td class="status">
                <DeliveryBadge status={d.status} />
              </td>
              <td class="hide-sm num">{d.attempts}</td>
              <td class="error-cell">
                {d.last_error ? (
                  <span class="error-text">
                    {d.last_status_code ? `${d.last_status_code} · ` : ""}
                    {d.last_error}
                  </span>
                ) : (
                  "—"
                )}
              </td>
              {kind === "retrying" ? (
                <td class="hide-sm nowrap mono">{d.next_attempt_at ? formatTime(d.next_attempt_at) : "—"}</td>
              ) : (
                <td class="act">
                  <RetryForm viewer={viewer} delivery={d} />
                </td>
              )}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** The event page's section: every forwarding of this event, newest first. */
export function EventDeliveries({ deliveries }: { deliveries: Delivery[] | undefined }) {
  if (!deliveries) return null;
  return (
    <section class="card" aria-labelledby="deliveries-title">
      <h2 id="deliveries-title">Deliveries ({deliveries.length})</h2>
      {deliveries.length === 0 ? (
        <p class="muted">Not forwarded: no destination takes it, or it has not settled yet.</p>
      ) : (
        <div class="table-wrap">
          <table class="stack">
            <thead>
              <tr>
                <th>Created (UTC)</th>
                <th>Destination</th>
                <th>Status</th>
                <th class="num">Attempts</th>
                <th class="num">Last status</th>
                <th>Last error</th>
              </tr>
            </thead>
            <tbody>
              {deliveries.map((d) => (
                <tr>
                  <td class="nowrap mono when" title={`webhook-id ${d.id}`}>
                    {formatTime(d.created_at)}
                  </td>
                  <td title={d.destination_id}>{d.destination ?? `${d.destination_id} (deleted)`}</td>
                  <td class="status">
                    <DeliveryBadge status={d.status} />
                  </td>
                  <td class="num">{d.attempts}</td>
                  <td class="num mono">{d.last_status_code ?? "—"}</td>
                  <td>{d.last_error ? <span class="error-text">{d.last_error}</span> : "—"}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

/**
 * /dashboard/deliveries: those that ended `failed` (Retry for an admin), and those still retrying
 * after a refusal; a card only for a kind that has deliveries.
 */
export function FailingDeliveriesPage({
  viewer,
  failed,
  retrying,
  forwarding,
  flash,
}: { viewer: Viewer; flash?: string } & FailingDeliveries) {
  return (
    <Layout title="Deliveries" viewer={viewer} current="/dashboard/deliveries">
      <h1>Deliveries</h1>
      <p class="sub">
        {forwarding === "on"
          ? "A destination is active (FORWARD_URL's, or one made on the Destinations page). Failing deliveries are listed here; all of a destination's failed ones can be retried on the Destinations page (admin)."
          : "No destination is active (FORWARD_URL unset, none created, or all paused): nothing is being sent."}
      </p>
      {flash ? (
        <p class="flash ok" role="status">
          {flash}
        </p>
      ) : null}
      {failed.length === 0 && retrying.length === 0 ? (
        <section class="card">
          <p class="empty">No delivery is failing: none ended failed, none is being retried.</p>
        </section>
      ) : null}
      {failed.length > 0 ? (
        <section class="card" aria-labelledby="failed-title">
          <div class="card-head">
            <h2 id="failed-title">Failed ({failed.length})</h2>
            <span class="muted">tried for 3 days; retried only by hand</span>
          </div>
          <FailingTable viewer={viewer} deliveries={failed} kind="failed" />
        </section>
      ) : null}
      {retrying.length > 0 ? (
        <section class="card" aria-labelledby="retrying-title">
          <div class="card-head">
            <h2 id="retrying-title">Retrying after a refusal ({retrying.length})</h2>
            <span class="muted">tried again by itself, with backoff</span>
          </div>
          <FailingTable viewer={viewer} deliveries={retrying} kind="retrying" />
        </section>
      ) : null}
    </Layout>
  );
}

/** The overview's forwarding tile: off, or the last success and how many deliveries fail. */
export function ForwardingTile({ summary, now }: { summary: ForwardingSummary; now: number }) {
  if (summary.forwarding === "off") {
    return <Tile label="Forwarding" value="off" note="FORWARD_URL is not set" href="/dashboard/deliveries" />;
  }
  const failing = `${formatCount(summary.failing)}${summary.capped ? "+" : ""}`;
  return (
    <Tile
      label="Forwarding"
      value={summary.lastDeliveredAt === null ? "no success yet" : formatAgo(summary.lastDeliveredAt, now)}
      note={summary.failing === 0 ? "last delivered; none failing" : `last delivered; ${failing} failing`}
      tone={summary.failing > 0 ? "bad" : undefined}
      href="/dashboard/deliveries"
    />
  );
}
