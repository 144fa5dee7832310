/** The SQL of forwarding's catch-up: its watermark, and the walk of the change feed past it. */
import { createDeliveryStatements, SETTLED, SETTLEMENT_OF_E } from "./deliveries";
import { rowsOf } from "./rows";

/** The highest seq handled, or null when the catch-up has not started (or forwarding was off). */
export async function readForwardWatermark(db: D1Database): Promise<number | null> {
  const row = await db
    .prepare("SELECT last_seq FROM forward_watermark WHERE id = 1")
    .first<{ last_seq: number | null }>();
  return row?.last_seq ?? null;
}

/**
 * Starts the catch-up at the newest change (the highest seq, or of a purged event, whichever is
 * greater) when it has not started. Returns the watermark in force afterwards.
 */
export async function startForwardWatermark(db: D1Database): Promise<number> {
  const row = await db
    .prepare(
      `UPDATE forward_watermark SET last_seq = MAX(COALESCE((SELECT MAX(seq) FROM events), 0),
         (SELECT last_seq FROM feed_floor WHERE id = 1))
       WHERE id = 1 AND last_seq IS NULL RETURNING last_seq`,
    )
    .first<{ last_seq: number }>();
  return row?.last_seq ?? (await readForwardWatermark(db)) ?? 0;
}

/** Forwarding is off: the next start is from the newest change again. Writes nothing when already clear. */
export async function clearForwardWatermark(db: D1Database): Promise<void> {
  await db.prepare("UPDATE forward_watermark SET last_seq = NULL WHERE id = 1 AND last_seq IS NOT NULL").run();
}

/** The catch-up's page, exported so the query-plan test explains exactly what runs. */
export const CATCH_UP_SQL = {
  page: `SELECT e.id, e.seq, (e.status IN ${SETTLED} AND e.source <> 'selftest' AND NOT EXISTS
      (SELECT 1 FROM deliveries d WHERE d.event_id = e.id AND d.settlement = ${SETTLEMENT_OF_E})) AS missing
    FROM events e WHERE e.seq > ?1 ORDER BY e.seq LIMIT ?2`,
} as const;

export type CatchUpRow = { id: string; seq: number; missing: number };

/**
 * Up to `limit` events past `after` in seq order, each flagged `missing` when it is settled, is
 * not a self-test push, and has no delivery for its current settlement. The walk uses `events_by_seq`; `seq` order is commit
 * order (docs/change-feed.md), so every change up to the highest seq read has committed and the
 * watermark can never pass one unseen.
 */
export async function readCatchUpPage(db: D1Database, after: number, limit: number): Promise<CatchUpRow[]> {
  return rowsOf<CatchUpRow>(db.prepare(CATCH_UP_SQL.page).bind(after, limit));
}

/**
 * In one transaction: the missing deliveries, and the watermark moved from `from` to `to` (only
 * if it is still at `from`, so two overlapping runs never move it back). Returns the ids created.
 */
export async function commitCatchUp(
  db: D1Database,
  items: { id: string; eventId: string }[],
  window: { from: number; to: number },
  now: number,
  retryUntil: number,
): Promise<string[]> {
  const results = await db.batch<{ id: string }>([
    ...createDeliveryStatements(db, items, now, retryUntil),
    db
      .prepare("UPDATE forward_watermark SET last_seq = ?2 WHERE id = 1 AND last_seq = ?1")
      .bind(window.from, window.to),
  ]);
  return results.slice(0, items.length).flatMap((result) => result.results.map((row) => row.id));
}
