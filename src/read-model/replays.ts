/** A bulk replay's progress as the API and the dashboard show it: its shape and its read. */
import { z } from "zod";
import { countReplayOutstanding, getReplay } from "../store/replays";
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
    created_at: z.number().int().meta({ description: "ms since the epoch." }),
    finished: z.boolean().meta({ description: "Every matched event has been enqueued." }),
    filters: z.record(z.string(), z.union([z.string(), z.number()])),
  })
  .meta({ id: "ReplayProgress" });
export type ReplayProgress = z.infer<typeof ReplayProgress>;

/**
 * A replay's progress; null when no replay has this id. `done` counts the queued events no longer
 * waiting for their follow-up.
 */
export async function readReplayProgress(db: D1Database, replayId: string): Promise<ReplayProgress | null> {
  const replay = await getReplay(db, replayId);
  if (!replay) return null;
  const outstanding = await countReplayOutstanding(db, replayId);
  return {
    replay_id: replay.id,
    matched: replay.matched,
    queued: replay.queued,
    done: Math.max(0, replay.queued - outstanding),
    created_at: replay.created_at,
    finished: replay.finished_at !== null,
    filters: JSON.parse(replay.filters) as ReplayProgress["filters"],
  };
}
