/** Bulk replay on the dashboard: the "Replay all" form, and a replay's progress, refreshing itself while it runs. Render only. */
import type { ReplayProgress } from "../read-model/replays";
import { formatCount, formatTime } from "./format";
import { Layout, type Viewer } from "./layout";

/** Shown with the failures to an admin; the form carries the CSRF token. */
export function ReplayAllForm({ viewer }: { viewer: Viewer }) {
  if (viewer.role !== "admin") return null;
  return (
    <form method="post" action="/dashboard/replays" class="replay-all">
      <input type="hidden" name="csrf" value={viewer.formToken} />
      <button type="submit" class="secondary">
        Replay all failed events
      </button>
      <span class="muted"> Follows every failed event up again, after the pushes waiting now.</span>
    </form>
  );
}

/** Seconds between reloads of a replay under way. */
export const REPLAY_REFRESH_SECONDS = 5;

/** Done: every matched event was enqueued, and none is waiting any more. */
export function isReplayDone(progress: ReplayProgress): boolean {
  return progress.finished && progress.waiting === 0 && progress.done >= progress.queued;
}

/**
 * A replay's progress: settled, failed again, waiting. While it runs the page reloads itself
 * every few seconds (a meta refresh: the CSP allows no script); once done it stops and says so.
 */
export function ReplayPage({ viewer, progress }: { viewer: Viewer; progress: ReplayProgress }) {
  const done = isReplayDone(progress);
  const { error_group, events, ...filters } = progress.filters;
  return (
    <Layout
      title="Replay"
      viewer={viewer}
      current="/dashboard/failures"
      refreshSeconds={done ? undefined : REPLAY_REFRESH_SECONDS}
    >
      <div class="crumbs">
        <a href="/dashboard/failures">Failures</a> / replay
      </div>
      <h1>{done ? "Replay finished" : "Replay in progress"}</h1>
      <p class="sub mono">{progress.replay_id}</p>
      <section class="tiles" aria-label="Progress">
        <div class="tile">
          <div class="label">Settled</div>
          <div class="value">{formatCount(progress.settled)}</div>
          <div class="note">processed or skipped</div>
        </div>
        <div class={`tile${progress.failed_again > 0 ? " bad" : ""}`}>
          <div class="label">Failed again</div>
          <div class="value">{formatCount(progress.failed_again)}</div>
          <div class="note">
            {progress.failed_again > 0 ? <a href="/dashboard/failures">see the failures</a> : "none"}
          </div>
        </div>
        <div class={`tile${progress.waiting > 0 ? " warn" : ""}`}>
          <div class="label">Waiting</div>
          <div class="value">{formatCount(progress.waiting)}</div>
          <div class="note">for their follow-up</div>
        </div>
      </section>
      <section class="card">
        <dl class="facts">
          <dt>Started</dt>
          <dd class="mono">{formatTime(progress.created_at)} UTC</dd>
          <dt>Matched</dt>
          <dd>{formatCount(progress.matched)}</dd>
          <dt>Enqueued</dt>
          <dd>
            {formatCount(progress.queued)}
            {progress.finished ? "" : " so far"}
          </dd>
          {error_group !== undefined ? (
            <>
              <dt>Failure group</dt>
              <dd class="mono">
                {error_group} ({events ?? 0} events)
              </dd>
            </>
          ) : null}
          <dt>Filters</dt>
          <dd class="mono">{Object.keys(filters).length > 0 ? JSON.stringify(filters) : "—"}</dd>
        </dl>
        <p class="muted">
          {done
            ? "Every matched event has been followed up again."
            : `This page reloads every ${REPLAY_REFRESH_SECONDS} seconds until the replay is done.`}{" "}
          Also at GET /api/replays/{progress.replay_id}.
        </p>
      </section>
    </Layout>
  );
}
