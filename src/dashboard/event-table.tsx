/** The event list of the overview: newest first, the status visible on a phone (rows stack there). Render only. */
import type { EventSummary } from "../read-model/event-shapes";
import { formatTime } from "./format";
import { CategoryLabel, StatusBadge } from "./layout";

/** An order number as a link to its page, else the resource id (or a dash). */
export function OrderLink({ event }: { event: Pick<EventSummary, "order_number" | "resource_id"> }) {
  if (!event.order_number) return <>{event.resource_id ?? "—"}</>;
  return (
    <a href={`/dashboard/orders/${encodeURIComponent(event.order_number)}`}>
      {event.resource_id ?? event.order_number}
    </a>
  );
}

/** The table; `empty` is what to say when there are no events. */
export function EventTable({ events, empty }: { events: EventSummary[]; empty: string }) {
  if (events.length === 0) return <p class="empty">{empty}</p>;
  return (
    <div class="table-wrap">
      <table class="event-list stack">
        <thead>
          <tr>
            <th>Time (UTC)</th>
            <th>Event</th>
            <th class="hide-sm">Category</th>
            <th>Order / resource</th>
            <th class="hide-sm">Seller</th>
            <th>Status</th>
            <th class="hide-sm num">Attempts</th>
          </tr>
        </thead>
        <tbody>
          {events.map((e) => (
            <tr>
              <td class="nowrap mono when">
                <a href={`/dashboard/events/${e.id}`}>
                  <span class="date">{formatTime(e.received_at).slice(0, 11)}</span>
                  {formatTime(e.received_at).slice(11)}
                </a>
              </td>
              <td class="what">
                <a href={`/dashboard/events/${e.id}`}>{e.event ?? "(no event name)"}</a>
              </td>
              <td class="hide-sm">
                <CategoryLabel category={e.category} />
              </td>
              <td class="mono sub-line">
                <OrderLink event={e} />
              </td>
              <td class="hide-sm mono">{e.seller_id ?? "—"}</td>
              <td class="status">
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
