/**
 * The events row kind: settle what never finished, then delete the oldest events that may go, a
 * chunk at a time, each chunk written to ARCHIVE first when the binding is there.
 */
import { putArchiveObject } from "../archive/bucket";
import { gzip } from "../archive/gzip";
import { archiveKey, utcDay } from "../archive/key";
import { archiveLine, toNdjson } from "../archive/line";
import { describeError } from "../errors";
import { encodeIdTime } from "../lib/ids";
import { log } from "../lib/log";
import { claimArchiveObject, forgetUnfinishedObject, markWrittenStatement } from "../store/archive";
import {
  type ChunkEvent,
  deleteChunkStatements,
  type EventBounds,
  isChunkChanged,
  selectArchivableEvents,
  selectEventChunk,
  settleExpiredFollowups,
} from "../store/retention";
import { ArchiveWriteError, type RetentionContext, type StepResult } from "./context";

/** How long a settled event is kept past the cutoff after it settled (a replay settled again lately waits as long). */
export const SETTLED_GRACE_MS = 86_400_000;

function eventBounds(ctx: RetentionContext): EventBounds {
  return {
    idBound: encodeIdTime(ctx.now - ctx.deps.config.retentionMs),
    settledBefore: ctx.now - SETTLED_GRACE_MS,
  };
}

/**
 * Settles `failed` up to `limit` events past the cutoff still waiting for a follow-up that has
 * been idle for SWEEP_AFTER_SECONDS, and hands them to forwarding; they are deleted on a run a
 * day later, so the feed, forwarding and the dashboard get to show them first.
 */
export async function settleUnfinishedEvents(ctx: RetentionContext, limit: number): Promise<StepResult> {
  const { db, config } = ctx.deps;
  const idBound = encodeIdTime(ctx.now - config.retentionMs);
  const ids = await settleExpiredFollowups(db, idBound, ctx.now - config.sweepAfterMs, ctx.now, limit);
  if (ids.length > 0) {
    log("warn", "retention_settled_unfinished", { events: ids.length });
    // The minute cron's walk creates what this nudge could not: a failure here must not stop the purge.
    await ctx.deps.settled(ids).catch((err: unknown) => {
      log("error", "retention_settled_forwarding_failed", { error: describeError(err) });
    });
  }
  return { count: ids.length, more: ids.length === limit };
}

/**
 * Deletes the chunk in one batch: its guard (nothing changed since it was read), the hooks
 * "before deleting these events", `extra` (the archive record's move to `written`), the delete.
 * False when the guard refused: nothing was changed.
 */
async function deleteChunk(
  ctx: RetentionContext,
  chunk: readonly ChunkEvent[],
  extra: D1PreparedStatement[],
): Promise<boolean> {
  const { db, beforeEventPurge } = ctx.deps;
  const ids = chunk.map((event) => event.id);
  const described = {
    ids,
    seqs: chunk.map((event) => event.seq),
    firstId: ids[0] ?? "",
    lastId: ids.at(-1) ?? "",
  };
  const hooks = beforeEventPurge.flatMap((build) => build(db, described));
  try {
    await db.batch(deleteChunkStatements(db, chunk, [...hooks, ...extra]));
    return true;
  } catch (err) {
    if (!isChunkChanged(err)) throw err;
    log("info", "retention_chunk_changed", { first_id: described.firstId, events: ids.length });
    return false;
  }
}

/** The events of `rows` that arrived on the same UTC day as the first: one object's worth. */
function firstDay<T extends { received_at: number }>(rows: T[]): { day: string; rows: T[] } {
  const day = utcDay(rows[0]?.received_at ?? 0);
  const end = rows.findIndex((row) => utcDay(row.received_at) !== day);
  return { day, rows: end === -1 ? rows : rows.slice(0, end) };
}

/**
 * One chunk of the oldest events that may go (received RETENTION_DAYS ago, settled a day ago, no
 * pending delivery, not a self-test). Without ARCHIVE they are deleted. With it, the chunk is cut
 * at the end of its first day and: recorded `writing` in archive_objects; written to ARCHIVE as
 * gzip NDJSON under a key made of its day and first and last ids; then, in one D1 transaction, its
 * events deleted and the record made `written`. A run that stops anywhere in between leaves the
 * events in D1 and at most a `writing` record, which the next run cleans up (the archive records
 * kind) before writing the same chunk again under the same key: nothing lost, nothing listed twice.
 */
export async function purgeEventChunk(ctx: RetentionContext, limit: number): Promise<StepResult> {
  const { db, archive } = ctx.deps;
  const bounds = eventBounds(ctx);
  if (archive === null) {
    const chunk = await selectEventChunk(db, bounds, limit);
    if (chunk.length === 0) return { count: 0, more: false };
    const deleted = await deleteChunk(ctx, chunk, []);
    return { count: deleted ? chunk.length : 0, more: chunk.length === limit || !deleted };
  }
  const selected = await selectArchivableEvents(db, bounds, limit);
  if (selected.length === 0) return { count: 0, more: false };
  const { day, rows } = firstDay(selected);
  const first = rows[0]?.id ?? "";
  const last = rows.at(-1)?.id ?? "";
  const key = archiveKey(day, first, last);
  const body = await gzip(toNdjson(rows.map((row) => archiveLine(row, ctx.now))));
  const record = { key, day, first_id: first, last_id: last, count: rows.length, bytes: body.byteLength };
  if (!(await claimArchiveObject(db, { ...record, created_at: ctx.now, run_id: ctx.runId }))) {
    throw new Error(`archive object ${key} is already written; its events cannot be archived again`);
  }
  try {
    await putArchiveObject(archive, key, body, { firstId: first, lastId: last, count: rows.length });
  } catch (err) {
    throw new ArchiveWriteError(key, err);
  }
  const more = selected.length === limit || rows.length < selected.length;
  if (!(await deleteChunk(ctx, rows, [markWrittenStatement(db, key, ctx.runId)]))) {
    // An event changed meanwhile (replayed, a delivery created): drop this copy, read again.
    await archive.delete(key).catch((err: unknown) => {
      throw new ArchiveWriteError(key, err);
    });
    await forgetUnfinishedObject(db, key);
    return { count: 0, more: true };
  }
  ctx.archive.objects += 1;
  ctx.archive.events += rows.length;
  return { count: rows.length, more };
}
