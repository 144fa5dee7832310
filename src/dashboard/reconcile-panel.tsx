/** The overview's reconciliation card: the newest run, push coverage over 24 h, pushes missed per day. Render only. */
import type { ReconciliationFigures } from "../read-model/reconcile";
import { formatAgo, formatCount, formatTime } from "./format";

function coverageText(coverage: number | null): string {
  return coverage === null ? "—" : `${(Math.floor(coverage * 1000) / 10).toFixed(1)} %`;
}

function LastRun({ run, now }: { run: ReconciliationFigures["lastRun"]; now: number }) {
  if (!run) return <dd>no run yet</dd>;
  const tone = run.status === "failed" ? "s-failed" : run.status === "running" ? "s-received" : "s-processed";
  return (
    <dd>
      <span class={`badge ${tone}`}>{run.status}</span> {run.trigger}, started {formatAgo(run.started_at, now)} (
      {formatTime(run.started_at)}) · {formatCount(run.orders_listed)} listed · {formatCount(run.missed)} missed
      {run.error ? <div class="error-text">{run.error}</div> : null}
    </dd>
  );
}

/**
 * The card (`#reconciliation`, where the health banner sends missed pushes and stale runs), with
 * a cell per day of `missedPerDay`: seven cells that share the width, so today fits on a phone.
 */
export function ReconcilePanel({ summary, now }: { summary: ReconciliationFigures; now: number }) {
  const week = summary.missedPerDay.reduce((sum, day) => sum + day.missed, 0);
  return (
    <section class="card" id="reconciliation" aria-labelledby="reconcile-title">
      <div class="card-head">
        <h2 id="reconcile-title">Missed pushes</h2>
        <span class="muted">order changes found by reconciliation that no push told about</span>
      </div>
      <dl class="facts facts-gap">
        <dt>Last run</dt>
        <LastRun run={summary.lastRun} now={now} />
        <dt>Push coverage, 24 h</dt>
        <dd>
          {coverageText(summary.pushCoverage)}
          <span class="muted"> of the changes listed by periodic and manual runs</span>
        </dd>
        <dt>Missed, last 7 days</dt>
        <dd>{formatCount(week)}</dd>
      </dl>
      <ol class="days" aria-label="Missed pushes per day (UTC)">
        {summary.missedPerDay.map((day, i) => (
          <li class={day.missed > 0 ? "some" : undefined}>
            <span class="day">{i === summary.missedPerDay.length - 1 ? "today" : day.day.slice(5)}</span>
            <span class="n">{formatCount(day.missed)}</span>
          </li>
        ))}
      </ol>
    </section>
  );
}
