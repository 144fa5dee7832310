/** /dashboard/failures: failed events grouped by error, each group replayable by an admin, and the newest failures. Render only. */
import { GROUPED_FAILURES } from "../events/error-groups";
import type { FailureGroupView, FailuresView } from "../read-model/failures";
import { OrderLink } from "./event-table";
import { formatAgo, formatCount, formatTime } from "./format";
import { Layout, type Viewer } from "./layout";
import { ReplayAllForm } from "./replay-pages";

/** "Replay this group": the group's key and the CSRF token, for an admin. */
function ReplayGroupForm({ viewer, group }: { viewer: Viewer; group: FailureGroupView }) {
  if (viewer.role !== "admin") return null;
  return (
    <form method="post" action="/dashboard/failures/replay" class="inline">
      <input type="hidden" name="csrf" value={viewer.formToken} />
      <input type="hidden" name="group" value={group.key} />
      <button type="submit">Replay this group</button>
    </form>
  );
}

function GroupCard({ viewer, group, now }: { viewer: Viewer; group: FailureGroupView; now: number }) {
  return (
    <article class="group" data-group={group.key}>
      <div class="group-head">
        <span class="count">{formatCount(group.count)}</span>
        <div class="error-of-group">
          <strong>{group.kind}</strong>
          {group.message ? <span class="mono"> {group.message}</span> : null}
        </div>
        <ReplayGroupForm viewer={viewer} group={group} />
      </div>
      <p class="muted">
        First {formatTime(group.first_seen)} UTC · last {formatAgo(group.last_seen, now)} ({formatTime(group.last_seen)}{" "}
        UTC)
      </p>
      <ul class="samples">
        {group.samples.map((e) => (
          <li>
            <a href={`/dashboard/events/${e.id}`}>{e.event ?? "(no event name)"}</a>{" "}
            <span class="mono">
              <OrderLink event={e} />
            </span>
          </li>
        ))}
      </ul>
    </article>
  );
}

/** The groups (largest first), then the newest failures one by one: time of failure, event, order, error. */
export function FailuresPage({ viewer, failures, now }: { viewer: Viewer; failures: FailuresView; now: number }) {
  const { groups, recent, grouped, more } = failures;
  return (
    <Layout title="Failures" viewer={viewer} current="/dashboard/failures">
      <h1>Failures</h1>
      <p class="sub">
        Events whose follow-up failed, grouped by error (ids and numbers left out).{" "}
        {more
          ? `Grouped: the ${formatCount(GROUPED_FAILURES)} most recent failures; older ones are in the event list.`
          : `Grouped: all ${formatCount(grouped)} failed events.`}{" "}
        <a href="/dashboard?status=failed">All failed events</a>
      </p>
      {groups.length === 0 ? (
        <section class="card">
          <p class="empty">No event has failed.</p>
        </section>
      ) : (
        <>
          <section class="card" aria-labelledby="groups-title">
            <div class="card-head">
              <h2 id="groups-title">By error ({groups.length})</h2>
              <span class="muted">replaying a group follows its events up again, after new pushes</span>
            </div>
            {groups.map((group) => (
              <GroupCard viewer={viewer} group={group} now={now} />
            ))}
            <ReplayAllForm viewer={viewer} />
          </section>
          <section class="card" aria-labelledby="recent-title">
            <h2 id="recent-title">Newest failures</h2>
            <div class="table-wrap">
              <table class="stack failures">
                <thead>
                  <tr>
                    <th>Failed (UTC)</th>
                    <th>Event</th>
                    <th>Order</th>
                    <th>Error</th>
                  </tr>
                </thead>
                <tbody>
                  {recent.map((e) => (
                    <tr>
                      <td class="nowrap mono when">
                        <a href={`/dashboard/events/${e.id}`}>{formatTime(e.processed_at ?? e.received_at)}</a>
                      </td>
                      <td class="what">
                        <a href={`/dashboard/events/${e.id}`}>{e.event ?? "(no event name)"}</a>
                      </td>
                      <td class="mono nowrap sub-line">
                        <OrderLink event={e} />
                      </td>
                      <td class="error-cell">{e.last_error ? <span class="error-text">{e.last_error}</span> : "—"}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          </section>
        </>
      )}
    </Layout>
  );
}
