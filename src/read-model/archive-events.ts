/**
 * The archive's line of an event, and a period's events still in D1 in that same shape, so a
 * client (`npm run export`) can join what was archived with what was not yet.
 */
import { z } from "zod";
import { type ArchiveLine, archiveLine } from "../archive/line";
import { encodeIdTime } from "../lib/ids";
import { listLiveEvents } from "../store/archive";
import { checkPeriod, periodFields, periodOf } from "./archive";
import { cursorIdOrThrow, signCursor } from "./cursor";
import { EventSummary } from "./event-shapes";
import { nextCursor, pageCursor, pageSize } from "./fields";

/** One event as an archive object's line holds it (and as the live events are answered). */
export const ArchiveLineView = z
  .object({
    event: EventSummary,
    payload: z.string().meta({ description: "The body exactly as received, as text." }),
    headers: z
      .record(z.string(), z.string())
      .nullable()
      .meta({ description: "Request headers kept for debugging; null when none was kept." }),
    order: z.unknown().nullable().meta({ description: "The order's snapshot when the line was written, or null." }),
    order_fetched_at: z.int().nullable().meta({ description: "ms; when that snapshot was fetched." }),
    archived_at: z
      .int()
      .nullable()
      .meta({ description: "ms; when the line was written to the archive; null for an event still in D1." }),
  })
  .meta({ id: "ArchiveLine" });

/** `GET /api/archive/events`'s query: the period, and a page. */
export const ArchiveEventsQuery = z
  .object({ ...periodFields, limit: pageSize(500, 200), cursor: pageCursor() })
  .strict()
  .superRefine(checkPeriod);

/** A page of the period's events still in D1, oldest first. */
export const ArchiveEventsPage = z
  .object({
    events: z.array(ArchiveLineView).meta({ description: "Oldest first; self-test pushes are left out." }),
    next_cursor: nextCursor(),
  })
  .meta({ id: "ArchiveEventsPage" });

/** The events of [from, to) still in D1 after `cursor`, oldest first, as archive lines (`archived_at` null). */
export async function readLiveEvents(
  env: Env,
  query: z.infer<typeof ArchiveEventsQuery>,
  now: number,
): Promise<{ events: ArchiveLine[]; next_cursor: string | null }> {
  const period = periodOf(query, now);
  const after = await cursorIdOrThrow(env, "archive_events", query.cursor);
  const rows = await listLiveEvents(
    env.DB,
    { fromId: encodeIdTime(period.from), toId: encodeIdTime(period.to), afterId: after ?? "" },
    query.limit + 1,
  );
  const page = rows.slice(0, query.limit);
  const last = page.at(-1);
  return {
    events: page.map((row) => archiveLine(row, null)),
    next_cursor: rows.length > query.limit && last ? await signCursor(env, "archive_events", last.id) : null,
  };
}
