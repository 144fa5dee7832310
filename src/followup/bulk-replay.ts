/** Bulk replay: follow up again every event matching list filters (one request brings every failed event back). */

import { describeError } from "../errors";
import { GROUPED_FAILURES, groupFailures } from "../events/error-groups";
import { encodeIdTime, newUlid } from "../lib/ids";
import { log } from "../lib/log";
import { listRecentFailures } from "../store/event-reads";
import { markFollowupsDue } from "../store/followup-state";
import {
  countReplayable,
  countReplayOutstanding,
  getReplay,
  insertReplay,
  listUnfinishedReplays,
  type ReplayFilters,
  type ReplayRow,
  reopenReplayChunk,
} from "../store/replays";
import { enqueueFollowups, followupBody } from "./message";

/** Events reopened and enqueued per chunk (one sendBatch). */
export const REPLAY_CHUNK = 100;
/** A replay's events waiting for their follow-up at most, before its next chunk is enqueued. */
export const REPLAY_IN_FLIGHT = 200;
/** Chunks one cron run may enqueue across all replays. */
const CHUNKS_PER_RUN = 10;

export type StartedReplay = { replayId: string; matched: number; status: "queued" | "scheduled" };

/**
 * Records a replay of the events matching `filters` received before now, with how many it
 * matches, and does its first chunk; the cron does the rest (`continueReplays`). The events are
 * reopened and enqueued in chunks of REPLAY_CHUNK, walking up the id index from a cursor, never in
 * one unbounded statement.
 */
export async function startReplay(env: Env, filters: ReplayFilters, now: number): Promise<StartedReplay> {
  const upperId = encodeIdTime(Math.min(now + 1, filters.until ?? Number.POSITIVE_INFINITY));
  const minId = minIdOf(filters);
  const matched = await countReplayable(env.DB, filters, minId, upperId);
  const replayId = newUlid(now);
  await insertReplay(env.DB, {
    id: replayId,
    filters: JSON.stringify(filters),
    matched,
    cursor: null,
    upper_id: upperId,
    created_at: now,
  });
  try {
    const replay = await getReplay(env.DB, replayId);
    if (replay) await replayChunk(env, replay, now);
    return { replayId, matched, status: "queued" };
  } catch (err) {
    // The replay is recorded: the cron continues it from its cursor.
    log("error", "replay_chunk_failed", { replay_id: replayId, error: describeError(err) });
    return { replayId, matched, status: "scheduled" };
  }
}

/**
 * A bulk replay of one failure group: the failed events among the GROUPED_FAILURES most recent
 * whose error normalises to `groupKey` (events/error-groups.ts), exactly those the Failures page
 * shows in that group. They are replayed by id, through the same chunks, priority and headroom as
 * any bulk replay; one that no longer is `failed` when its chunk comes is left alone. Null when
 * no recent failure is in the group (any more).
 */
export async function startGroupReplay(env: Env, groupKey: string, now: number): Promise<StartedReplay | null> {
  const groups = groupFailures(await listRecentFailures(env.DB, GROUPED_FAILURES));
  const group = groups.find((candidate) => candidate.key === groupKey);
  if (!group) return null;
  return startReplay(env, { status: "failed", error_group: groupKey, ids: group.ids }, now);
}

/**
 * Cron (its own job, whatever the sweeper does): the next chunks of unfinished replays, oldest
 * replay first. A replay must not starve new pushes: its messages go at the lowest priority of the
 * rate limiter, and a chunk is only enqueued while fewer than REPLAY_IN_FLIGHT of the replay's
 * events are still waiting for their follow-up, so the queue never holds thousands of replay
 * messages ahead of pushes.
 */
export async function continueReplays(env: Env, now: number): Promise<number> {
  let chunks = 0;
  for (const replay of await listUnfinishedReplays(env.DB, CHUNKS_PER_RUN)) {
    let current: ReplayRow | null = replay;
    while (current && current.finished_at === null && chunks < CHUNKS_PER_RUN) {
      if ((await countReplayOutstanding(env.DB, current.id)) + REPLAY_CHUNK > REPLAY_IN_FLIGHT) break;
      await replayChunk(env, current, now);
      chunks += 1;
      current = await getReplay(env.DB, current.id);
    }
  }
  return chunks;
}

/**
 * One chunk: reopen and move the cursor (one transaction), then enqueue. A failed enqueue loses
 * nothing: the reopened events are `received` and marked due, so the sweeper sends them after
 * SWEEP_AFTER_SECONDS (and, should that mark fail too, after SWEEP_LOST_AFTER_SECONDS).
 */
async function replayChunk(env: Env, replay: ReplayRow, now: number): Promise<number> {
  const filters = JSON.parse(replay.filters) as ReplayFilters;
  const reopened = await reopenReplayChunk(env.DB, replay, filters, minIdOf(filters), REPLAY_CHUNK, now);
  const finished = reopened.length < REPLAY_CHUNK;
  if (reopened.length > 0) {
    try {
      await enqueueFollowups(
        env.FOLLOWUPS,
        reopened.map((event) => followupBody(event.id, "replay", event.attempts, event.generation)),
        "replay",
      );
    } catch (err) {
      await markFollowupsDue(
        env.DB,
        reopened.map((event) => event.id),
      ).catch((markErr: unknown) => log("error", "followup_mark_due_failed", { error: describeError(markErr) }));
      throw err;
    }
  }
  log("info", "replay_chunk", { replay_id: replay.id, reopened: reopened.length, finished });
  return reopened.length;
}

function minIdOf(filters: ReplayFilters): string | null {
  return filters.since === undefined ? null : encodeIdTime(filters.since);
}
