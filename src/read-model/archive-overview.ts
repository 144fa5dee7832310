/** The dashboard's archive page: objects per day, their events and sizes, and how retention's last runs went. */
import { archiveBucketOf } from "../archive/bucket";
import { utcDay } from "../archive/key";
import { isArchiveFailing } from "../health/pipeline";
import { type ArchiveDaySums, sumArchiveDays } from "../store/archive";
import { ARCHIVE_FAILING_RUNS } from "../store/pipeline-health";
import { type ArchiveOutcome, lastArchiveOutcomes, lastRetentionRun } from "../store/retention-runs";
import { ARCHIVE_PERIOD_MAX_DAYS, type ArchiveObject, readArchiveListing } from "./archive";

const DAY_MS = 86_400_000;

export type ArchiveOverview = {
  archive: "on" | "off";
  /** The last 31 days (UTC) that hold objects, newest first. */
  days: ArchiveDaySums[];
  totals: { objects: number; events: number; bytes: number };
  lastRun: { finishedAt: number | null; archive: ArchiveOutcome; archivedEvents: number; status: string } | null;
  /** The last ARCHIVE_FAILING_RUNS runs all failed to write to ARCHIVE (/health/pipeline's archive_failing). */
  failing: boolean;
  /** The objects of `day` when one was asked for. */
  day: { day: string; objects: ArchiveObject[] } | null;
};

/** Everything the page shows at `now`; `day` (yyyy-mm-dd) adds that day's objects. */
export async function readArchiveOverview(env: Env, now: number, day: string | null): Promise<ArchiveOverview> {
  const from = utcDay(now - (ARCHIVE_PERIOD_MAX_DAYS - 1) * DAY_MS);
  const [days, last, outcomes, objects] = await Promise.all([
    sumArchiveDays(env.DB, from, utcDay(now)),
    lastRetentionRun(env.DB),
    lastArchiveOutcomes(env.DB, ARCHIVE_FAILING_RUNS),
    day
      ? readArchiveListing(env, { from: Date.parse(`${day}T00:00:00Z`), to: Date.parse(`${day}T00:00:00Z`) + DAY_MS })
      : null,
  ]);
  const totals = days.reduce(
    (sum, d) => ({ objects: sum.objects + d.objects, events: sum.events + d.events, bytes: sum.bytes + d.bytes }),
    { objects: 0, events: 0, bytes: 0 },
  );
  return {
    archive: archiveBucketOf(env) ? "on" : "off",
    days,
    totals,
    lastRun: last
      ? {
          finishedAt: last.finished_at,
          archive: last.archive,
          archivedEvents: last.archived_events,
          status: last.status,
        }
      : null,
    failing: isArchiveFailing(outcomes),
    day: day && objects ? { day, objects: objects.objects } : null,
  };
}
