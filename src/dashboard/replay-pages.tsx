/** Bulk replay on the dashboard: the "Replay all" form of the Failures page, and a replay's progress. Render only. */
import type { ReplayProgress } from "../read-model/replays";
import { formatTime } from "./format";
import { Layout, type Viewer } from "./layout";

/** Shown on the Failures page (the list filtered on `failed`) to an admin; the form carries the CSRF token. */
export function ReplayAllForm({ viewer }: { viewer: Viewer }) {
  if (viewer.role !== "admin") return null;
  return (
    <form method="post" action="/dashboard/replays" class="replay-all">
      <input type="hidden" name="csrf" value={viewer.formToken} />
      <button type="submit">Replay all failed events</button>
      <span class="muted"> Follows every failed event up again, after the pushes waiting now.</span>
    </form>
  );
}

/** A replay's progress: finished once every matched event was enqueued and settled again. */
export function ReplayPage({ viewer, progress }: { viewer: Viewer; progress: ReplayProgress }) {
  const status = progress.finished && progress.done >= progress.queued ? "finished" : "in progress";
  return (
    <Layout title="Replay" viewer={viewer}>
      <div class="crumbs">
        <a href="/dashboard?status=failed">Failures</a> / replay
      </div>
      <h1>Replay {status}</h1>
      <p class="sub mono">{progress.replay_id}</p>
      <section class="card">
        <dl class="facts">
          <dt>Started</dt>
          <dd class="mono">{formatTime(progress.created_at)} UTC</dd>
          <dt>Matched</dt>
          <dd>{progress.matched}</dd>
          <dt>Queued</dt>
          <dd>{progress.queued}</dd>
          <dt>Done</dt>
          <dd>{progress.done}</dd>
          <dt>Filters</dt>
          <dd class="mono">{JSON.stringify(progress.filters)}</dd>
        </dl>
        <p class="muted">Reload to see progress. Also at GET /api/replays/{progress.replay_id}.</p>
      </section>
    </Layout>
  );
}
