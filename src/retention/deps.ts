/** What retention needs from outside (D1, the archive bucket, settings, the walk's nudge), as the worker gives it. */
import { type ArchiveBucket, archiveBucketOf } from "../archive/bucket";
import { readConfig } from "../config";
import { nudgeWalk } from "../queue/walk-nudge";
import { lostEventStatements } from "../store/destination-walk";

/** The events a chunk delete is about to remove: their ids (oldest first) and change-feed positions. */
export type EventChunk = { ids: readonly string[]; seqs: readonly (number | null)[]; firstId: string; lastId: string };

/**
 * The extension point "before deleting these events": statements built for a chunk of events
 * and run in the same D1 batch as its delete, before it, so they see the rows and commit or roll
 * back with the delete (a chunk whose events changed since they were read rolls back whole).
 * @example
 * // Counting, per destination, the events its cursor had not reached:
 * const countLost: BeforeEventPurge = (db, chunk) => [
 *   db.prepare("UPDATE … WHERE cursor_seq < ?1").bind(Math.max(...chunk.seqs.map(Number))),
 * ];
 */
export type BeforeEventPurge = (db: D1Database, chunk: EventChunk) => D1PreparedStatement[];

/**
 * The hooks of the live worker, run before every chunk of events is deleted. Add one here.
 * Destinations count the events their cursor had not reached (`events_lost`).
 */
export const BEFORE_EVENT_PURGE: readonly BeforeEventPurge[] = [(db, chunk) => lostEventStatements(db, chunk.ids)];

/** How much one run does: rows per statement (events per object when archiving), chunks per kind. */
export type RetentionLimits = { chunk: number; chunksPerKind: number };

export const DEFAULT_LIMITS: RetentionLimits = { chunk: 500, chunksPerKind: 10 };

/**
 * Retention takes its I/O from here, so a test hands in a bucket that fails or stops half-way,
 * a D1 that fails, its own hooks or limits, without patching a module.
 */
export type RetentionDeps = {
  db: D1Database;
  /** ARCHIVE, or null without the binding: events are then deleted without a copy (as in v2). */
  archive: ArchiveBucket | null;
  /** RETENTION_DAYS, and how long a follow-up may be idle before it counts as never finishing. */
  config: { retentionMs: number; sweepAfterMs: number };
  beforeEventPurge: readonly BeforeEventPurge[];
  /** Tells the destinations' walk that retention settled events `failed` (their deliveries follow from the feed). */
  settled(eventIds: string[]): Promise<void>;
  limits: RetentionLimits;
};

export function liveRetentionDeps(env: Env): RetentionDeps {
  const config = readConfig(env);
  return {
    db: env.DB,
    archive: archiveBucketOf(env),
    config: { retentionMs: config.retention.retentionMs, sweepAfterMs: config.followup.sweepAfterMs },
    beforeEventPurge: BEFORE_EVENT_PURGE,
    settled: async (eventIds) => {
      if (eventIds.length > 0) await nudgeWalk(env.FORWARDS);
    },
    limits: DEFAULT_LIMITS,
  };
}
