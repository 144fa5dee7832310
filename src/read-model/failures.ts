/** Failed events grouped by error, as the Failures page and `GET /api/failures` show them: a bounded read. */
import { z } from "zod";
import { GROUPED_FAILURES, groupFailures } from "../events/error-groups";
import { publicEventSummary } from "../events/summary";
import { listRecentFailures } from "../store/event-reads";
import { EventSummary } from "./event-shapes";

/** Failures listed one by one under the groups. */
const RECENT_SHOWN = 50;

/** One group of failures: the error, how many, when, a few of them. */
export const FailureGroupView = z
  .object({
    key: z.string().meta({ description: "Names the group: pass it as `error_group` to POST /api/events/replay." }),
    kind: z.string().meta({ description: "What failed, e.g. `HTTP 404 from Omisell`, `network error`." }),
    message: z.string().meta({ description: "The error's message with ids, order numbers and numbers as `#`." }),
    count: z.int(),
    first_seen: z.int().meta({ description: "ms: the group's earliest failure (of those grouped)." }),
    last_seen: z.int().meta({ description: "ms: its latest failure." }),
    samples: z.array(EventSummary).meta({ description: "The group's newest failures, at most 3." }),
  })
  .meta({ id: "FailureGroup" });
export type FailureGroupView = z.infer<typeof FailureGroupView>;

/** The groups, and the newest failures one by one. */
export const FailuresView = z
  .object({
    groups: z.array(FailureGroupView).meta({ description: "The largest group first." }),
    recent: z.array(EventSummary).meta({ description: `The newest failures, at most ${RECENT_SHOWN}.` }),
    grouped: z
      .int()
      .meta({ description: `How many failures were grouped: the most recent, at most ${GROUPED_FAILURES}.` }),
    more: z.boolean().meta({
      description: `True when more than ${GROUPED_FAILURES} events are failed: older ones are not in the groups (GET /api/events?status=failed lists them all).`,
    }),
  })
  .meta({ id: "Failures" });
export type FailuresView = z.infer<typeof FailuresView>;

/**
 * The GROUPED_FAILURES most recent failures, grouped (one more is read to tell whether older ones
 * exist). A seek down the failed-by-time index, never a scan of every failed event.
 */
export async function readFailures(db: D1Database): Promise<FailuresView> {
  const rows = await listRecentFailures(db, GROUPED_FAILURES + 1);
  const grouped = rows.slice(0, GROUPED_FAILURES).map(publicEventSummary);
  return {
    groups: groupFailures(grouped).map(({ ids: _ids, ...group }) => group),
    recent: grouped.slice(0, RECENT_SHOWN),
    grouped: grouped.length,
    more: rows.length > GROUPED_FAILURES,
  };
}
