/** A bulk replay's progress as the API and the dashboard show it: its shape and its read. */
import { z } from "zod";
import { countReplayByStatus, getReplay } from "../store/replays";
import { rowId } from "./fields";

/** `{replay_id}` of a replay's path. */
export const ReplayIdParam = z.object({
  replay_id: rowId("not a replay id").meta({ description: "Replay id." }),
});

/** How far a bulk replay has come, with the filters it was asked with. */
export const ReplayProgress = z
  .object({
    replay_id: z.string(),
    matched: z.number().int(),
    queued: z.number().int().meta({ description: "Events reopened and enqueued so far." }),
    done: z.number().int().meta({ description: "Of the queued events, those settled again." }),
    settled: z.number().int().meta({ description: "Of the queued events, those now `processed` or `skipped`." }),
    failed_again: z.number().int().meta({ description: "Of the queued events, those `failed` again." }),
    waiting: z.number().int().meta({ description: "Of the queued events, those still waiting for their follow-up." }),
    created_at: z.number().int().meta({ description: "ms since the epoch." }),
    finished: z.boolean().meta({ description: "Every matched event has been enqueued." }),
    filters: z.record(z.string(), z.union([z.string(), z.number()])).meta({
      description:
        "The filters it was asked with; a failure group's replay shows `error_group` and `events` (how many ids).",
    }),
  })
  .meta({ id: "ReplayProgress" });
export type ReplayProgress = z.infer<typeof ReplayProgress>;

/** The stored filters as shown: a group's ids become their count. */
function shownFilters(stored: string): ReplayProgress["filters"] {
  const { ids, ...filters } = JSON.parse(stored) as Record<string, string | number | string[]>;
  const shown = Object.fromEntries(
    Object.entries(filters).filter((entry): entry is [string, string | number] => !Array.isArray(entry[1])),
  );
  return Array.isArray(ids) ? { ...shown, events: ids.length } : shown;
}

/**
 * A replay's progress; null when no replay has this id. `done` counts the queued events no longer
 * waiting for their follow-up: `settled` and `failed_again` split it (an event another replay
 * reopened since counts for that one).
 */
export async function readReplayProgress(db: D1Database, replayId: string): Promise<ReplayProgress | null> {
  const replay = await getReplay(db, replayId);
  if (!replay) return null;
  const byStatus = await countReplayByStatus(db, replayId);
  const waiting = byStatus.received ?? 0;
  return {
    replay_id: replay.id,
    matched: replay.matched,
    queued: replay.queued,
    done: Math.max(0, replay.queued - waiting),
    settled: (byStatus.processed ?? 0) + (byStatus.skipped ?? 0),
    failed_again: byStatus.failed ?? 0,
    waiting,
    created_at: replay.created_at,
    finished: replay.finished_at !== null,
    filters: shownFilters(replay.filters),
  };
}
