/** All SQL of bulk replays: the `replays` table, and the walk that reopens a replay's events in chunks. */
import type { ListFilterColumn } from "../events/vocabulary";
import { rowsOf } from "./rows";

/**
 * The list filters (equality on a column of LIST_FILTER_COLUMNS, time bounds as id bounds), so
 * each chunk walks one (filter, id) index upward from the replay's cursor; or a failure group's
 * events by id (`ids`, with the group's key in `error_group` to say which group they were).
 */
export type ReplayFilters = Partial<Record<ListFilterColumn, string>> & {
  since?: number;
  until?: number;
  /** The failure group the ids were taken from (a label: the ids are what is replayed). */
  error_group?: string;
  /** Exactly these events (a failure group's, at most GROUPED_FAILURES), walked by id. */
  ids?: string[];
};

export type ReplayRow = {
  id: string;
  filters: string;
  matched: number;
  queued: number;
  cursor: string | null;
  upper_id: string;
  created_at: number;
  finished_at: number | null;
};

/** Reopened by a chunk: what its replay message must carry. */
export type ReopenedEvent = { id: string; generation: number; attempts: number };

const COLUMNS: readonly ListFilterColumn[] = [
  "event",
  "category",
  "status",
  "resource_id",
  "order_number",
  "seller_id",
];

/** The WHERE of a replay's events (never `invalid` ones, nor self-test pushes), parameters from `?first` on. */
function whereOf(filters: ReplayFilters, minId: string | null, upperId: string, first: number) {
  const where = ["status <> 'invalid'", "source <> 'selftest'"];
  const params: (string | number)[] = [];
  const next = (value: string | number) => {
    params.push(value);
    return `?${first + params.length - 1}`;
  };
  for (const column of COLUMNS) {
    const value = filters[column];
    if (value !== undefined) where.push(`${column} = ${next(value)}`);
  }
  if (filters.ids !== undefined)
    where.push(`id IN (SELECT value FROM json_each(${next(JSON.stringify(filters.ids))}))`);
  if (minId !== null) where.push(`id >= ${next(minId)}`);
  where.push(`id < ${next(upperId)}`);
  return { sql: where.join(" AND "), params };
}

/** How many events a replay with these filters and bounds covers now. */
export async function countReplayable(
  db: D1Database,
  filters: ReplayFilters,
  minId: string | null,
  upperId: string,
): Promise<number> {
  const where = whereOf(filters, minId, upperId, 1);
  const row = await db
    .prepare(`SELECT COUNT(*) AS n FROM events WHERE ${where.sql}`)
    .bind(...where.params)
    .first<{ n: number }>();
  return row?.n ?? 0;
}

export async function insertReplay(db: D1Database, row: Omit<ReplayRow, "queued" | "finished_at">): Promise<void> {
  await db
    .prepare(
      `INSERT INTO replays (id, filters, matched, queued, cursor, upper_id, created_at)
       VALUES (?1, ?2, ?3, 0, ?4, ?5, ?6)`,
    )
    .bind(row.id, row.filters, row.matched, row.cursor, row.upper_id, row.created_at)
    .run();
}

export function getReplay(db: D1Database, id: string) {
  return db.prepare("SELECT * FROM replays WHERE id = ?1").bind(id).first<ReplayRow>();
}

/** Replays whose walk has not reached the end, oldest first. */
export async function listUnfinishedReplays(db: D1Database, limit: number): Promise<ReplayRow[]> {
  return rowsOf<ReplayRow>(
    db.prepare("SELECT * FROM replays WHERE finished_at IS NULL ORDER BY created_at LIMIT ?1").bind(limit),
  );
}

/** A replay's events by their status now, from events_by_replay (replay_id, status): a covering read. */
export async function countReplayByStatus(db: D1Database, replayId: string): Promise<Record<string, number>> {
  const { results } = await db
    .prepare("SELECT status, COUNT(*) AS n FROM events WHERE replay_id = ?1 GROUP BY status")
    .bind(replayId)
    .all<{ status: string; n: number }>();
  return Object.fromEntries(results.map((row) => [row.status, row.n]));
}

/** Events a replay reopened that are still waiting for their follow-up (events_by_replay). */
export async function countReplayOutstanding(db: D1Database, replayId: string): Promise<number> {
  const row = await db
    .prepare("SELECT COUNT(*) AS n FROM events WHERE replay_id = ?1 AND status = 'received'")
    .bind(replayId)
    .first<{ n: number }>();
  return row?.n ?? 0;
}

/**
 * The next `limit` events of the replay above its cursor, in one transaction: the replay's cursor
 * moves past them (`queued` counts them; a short chunk ends the walk), and they are reopened as
 * their next generation, marked with the replay. Neither happens without the other, so a chunk is
 * never reopened twice (two generations, counted twice) nor its cursor moved over events left
 * as they were. Like new pushes the events are not scheduled: the sweeper counts their wait from
 * `reopened_at` (a failed enqueue marks them due). `minId` is the inclusive bound of `since`.
 */
export async function reopenReplayChunk(
  db: D1Database,
  replay: ReplayRow,
  filters: ReplayFilters,
  minId: string | null,
  limit: number,
  now: number,
): Promise<ReopenedEvent[]> {
  const lower = replay.cursor !== null && (minId === null || replay.cursor >= minId) ? replay.cursor : null;
  const where = whereOf(filters, lower === null ? minId : null, replay.upper_id, 4);
  const afterCursor = lower === null ? "" : ` AND id > ${`?${4 + where.params.length}`}`;
  const params = [replay.id, now, limit, ...where.params, ...(lower === null ? [] : [lower])];
  // The same chunk in both statements (?1 replay, ?2 now, ?3 limit): read before the reopen changes it.
  const chunk = `SELECT id FROM events WHERE ${where.sql}${afterCursor} ORDER BY id LIMIT ?3`;
  const [, reopened] = await db.batch<ReopenedEvent>([
    db
      .prepare(
        `WITH chunk AS (${chunk})
         UPDATE replays SET cursor = COALESCE((SELECT MAX(id) FROM chunk), cursor),
           queued = queued + (SELECT COUNT(*) FROM chunk),
           finished_at = CASE WHEN (SELECT COUNT(*) FROM chunk) < ?3 THEN ?2 ELSE NULL END
         WHERE id = ?1`,
      )
      .bind(...params),
    db
      .prepare(
        `UPDATE events SET status = 'received', processed_at = NULL, next_attempt_at = NULL, settled_by = NULL,
           generation = generation + 1, replay_id = ?1, reopened_at = ?2, reopen_attempts = attempts
         WHERE id IN (${chunk})
         RETURNING id, generation, attempts`,
      )
      .bind(...params),
  ]);
  return (reopened?.results ?? []).toSorted((a, b) => (a.id < b.id ? -1 : 1));
}
