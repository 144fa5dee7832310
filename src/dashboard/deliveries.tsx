/** The dashboard's view of forwarding: an event's deliveries, and the page of failing ones. Render only. */
import type { Delivery, FailingDeliveries } from "../read-model/deliveries";
import { formatTime } from "./format";
import { Layout, type Viewer } from "./layout";

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

function DeliveryTable({ deliveries, withEvent }: { deliveries: Delivery[]; withEvent: boolean }) {
  return (
    <div class="table-wrap">
      <table>
        <thead>
          <tr>
            <th>Created (UTC)</th>
            {withEvent ? <th>Event</th> : null}
            <th>Destination</th>
            <th>Status</th>
            <th class="num">Attempts</th>
            <th class="num">Last status</th>
            <th>Last error</th>
            <th class="hide-sm">Next attempt (UTC)</th>
          </tr>
        </thead>
        <tbody>
          {deliveries.map((d) => (
            <tr>
              <td class="nowrap mono" title={`webhook-id ${d.id}`}>
                {formatTime(d.created_at)}
              </td>
              {withEvent ? (
                <td class="mono">
                  <a href={`/dashboard/events/${d.event_id}`}>{d.event_id}</a>
                </td>
              ) : null}
              <td title={d.destination_id}>{d.destination ?? `${d.destination_id} (deleted)`}</td>
              <td>
                <DeliveryBadge status={d.status} />
              </td>
              <td class="num">{d.attempts}</td>
              <td class="num mono">{d.last_status_code ?? "—"}</td>
              <td>{d.last_error ? <span class="error-text">{d.last_error}</span> : "—"}</td>
              <td class="hide-sm nowrap mono">{d.next_attempt_at ? formatTime(d.next_attempt_at) : "—"}</td>
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
        <DeliveryTable deliveries={deliveries} withEvent={false} />
      )}
    </section>
  );
}

/** /dashboard/deliveries: those that ended `failed`, and those still retrying after a refusal. */
export function FailingDeliveriesPage({
  viewer,
  failed,
  retrying,
  forwarding,
}: { viewer: Viewer } & FailingDeliveries) {
  return (
    <Layout title="Failing deliveries" viewer={viewer}>
      <div class="crumbs">
        <a href="/dashboard">Overview</a> / deliveries
      </div>
      <h1>Failing deliveries</h1>
      <p class="sub">
        {forwarding === "on"
          ? "A destination is active. A failed delivery can be retried with POST /api/deliveries/{id}/retry, or all of a destination's on the Destinations page (admin)."
          : "No destination is active (FORWARD_URL unset, none created, or all paused): nothing is being sent."}
      </p>
      <section class="card" aria-labelledby="failed-title">
        <h2 id="failed-title">Failed ({failed.length})</h2>
        {failed.length === 0 ? (
          <p class="empty">No delivery has failed.</p>
        ) : (
          <DeliveryTable deliveries={failed} withEvent={true} />
        )}
      </section>
      <section class="card" aria-labelledby="retrying-title">
        <h2 id="retrying-title">Retrying after a refusal ({retrying.length})</h2>
        {retrying.length === 0 ? (
          <p class="empty">No delivery is being retried.</p>
        ) : (
          <DeliveryTable deliveries={retrying} withEvent={true} />
        )}
      </section>
    </Layout>
  );
}
