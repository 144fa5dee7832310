/** /dashboard/archive: what retention wrote to ARCHIVE, per day, and how its last runs went. Render only. */
import type { ArchiveOverview } from "../read-model/archive-overview";
import { formatBytes, formatCount, formatTime } from "./format";
import { Layout, type Viewer } from "./layout";

const OUTCOME_TEXT = {
  off: "archive off",
  idle: "nothing to archive",
  ok: "archived",
  failed: "ARCHIVE failed",
} as const;

function Tile({ label, value, note, tone }: { label: string; value: string; note: string; tone?: "bad" }) {
  return (
    <div class={`tile${tone ? ` ${tone}` : ""}`}>
      <div class="label">{label}</div>
      <div class="value">{value}</div>
      <div class="note">{note}</div>
    </div>
  );
}

/** The day's objects, each downloadable as NDJSON through the dashboard's session. */
function DayObjects({ day }: { day: NonNullable<ArchiveOverview["day"]> }) {
  return (
    <section class="card" aria-labelledby="day-title">
      <h2 id="day-title">Objects of {day.day}</h2>
      {day.objects.length === 0 ? (
        <p class="empty">No object is filed under this day.</p>
      ) : (
        <div class="table-wrap">
          <table>
            <thead>
              <tr>
                <th>Events (ids)</th>
                <th class="num">Events</th>
                <th class="num">Size</th>
                <th class="hide-sm">Written (UTC)</th>
              </tr>
            </thead>
            <tbody>
              {day.objects.map((object) => (
                <tr>
                  <td class="mono">
                    <a href={`/dashboard/archive/objects/${encodeURIComponent(object.key)}`} title={object.key}>
                      {object.first_id.slice(-8)} … {object.last_id.slice(-8)}
                    </a>
                  </td>
                  <td class="num">{formatCount(object.count)}</td>
                  <td class="num nowrap">{formatBytes(object.bytes)}</td>
                  <td class="hide-sm nowrap mono">{formatTime(object.created_at)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

/** The page: tiles for the last 31 days, a warning while archiving fails, objects per day, one day's objects. */
export function ArchivePage({ viewer, overview }: { viewer: Viewer; overview: ArchiveOverview }) {
  const { totals, lastRun } = overview;
  return (
    <Layout title="Archive" viewer={viewer} current="/dashboard/archive">
      <div class="crumbs">
        <a href="/dashboard">Overview</a> / archive
      </div>
      <h1>Archive</h1>
      <p class="sub">
        {overview.archive === "on"
          ? "Before retention deletes events past RETENTION_DAYS, it writes them to ARCHIVE (R2) as gzip NDJSON, a file per day and chunk. Read them back with GET /api/archive or npm run export."
          : "The archive is off (no ARCHIVE binding): retention deletes events past RETENTION_DAYS without a copy."}
      </p>
      {overview.failing ? (
        <p class="flash bad" role="alert">
          Writing to ARCHIVE failed in the last 3 retention runs: no event past retention is deleted until it works
          again (/health/pipeline says archive_failing).
        </p>
      ) : null}
      <section class="tiles" aria-label="Last 31 days">
        <Tile label="Objects" value={formatCount(totals.objects)} note="last 31 days" />
        <Tile label="Events archived" value={formatCount(totals.events)} note="last 31 days" />
        <Tile label="Size" value={formatBytes(totals.bytes)} note="gzip, last 31 days" />
        <Tile
          label="Last run"
          value={lastRun ? OUTCOME_TEXT[lastRun.archive] : "none yet"}
          note={lastRun ? `${formatTime(lastRun.finishedAt)} UTC, ${formatCount(lastRun.archivedEvents)} events` : "—"}
          {...(lastRun?.archive === "failed" ? { tone: "bad" as const } : {})}
        />
      </section>
      {overview.day ? <DayObjects day={overview.day} /> : null}
      <section class="card" aria-labelledby="days-title">
        <h2 id="days-title">By day (UTC), last 31 days</h2>
        {overview.days.length === 0 ? (
          <p class="empty">Nothing archived in the last 31 days.</p>
        ) : (
          <div class="table-wrap">
            <table>
              <thead>
                <tr>
                  <th>Day</th>
                  <th class="num">Objects</th>
                  <th class="num">Events</th>
                  <th class="num">Size</th>
                </tr>
              </thead>
              <tbody>
                {overview.days.map((d) => (
                  <tr>
                    <td class="mono nowrap">
                      <a href={`/dashboard/archive?day=${d.day}`}>{d.day}</a>
                    </td>
                    <td class="num">{formatCount(d.objects)}</td>
                    <td class="num">{formatCount(d.events)}</td>
                    <td class="num nowrap">{formatBytes(d.bytes)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>
    </Layout>
  );
}
