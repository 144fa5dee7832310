/** All SQL on the `resources` table: the latest snapshot of each Omisell resource as the API returned it. */
export type ResourceRow = {
  type: string;
  id: string;
  seller_id: string | null;
  status_name: string | null;
  data: string;
  fetched_at: number;
  last_event_id: string | null;
};

/**
 * A stored order as read back: its snapshot, and the order list's row of it from the last listing
 * that settled one of its events (`summary`, JSON) with when that list call started (`summary_at`).
 * The summary is newer than the detail while `summary_at > fetched_at`.
 */
export type StoredResource = ResourceRow & { summary: string | null; summary_at: number | null };

/**
 * Stores a snapshot unless the stored one comes from a fetch that started later (or at the same
 * moment). Two consumers fetching the same order race safely: whichever write lands last, the
 * newer fetch wins. A snapshot fetched for no event (the detail backfill) keeps the last event id.
 * Returns whether this snapshot is now the stored one.
 */
export async function upsertSnapshot(db: D1Database, row: ResourceRow): Promise<boolean> {
  return (await upsertSnapshotStatement(db, row).first<{ fetched_at: number }>()) !== null;
}

/** The upsert as a statement, to run in one `db.batch` with other writes. */
export function upsertSnapshotStatement(db: D1Database, row: ResourceRow): D1PreparedStatement {
  return db
    .prepare(
      `INSERT INTO resources (type, id, seller_id, status_name, data, fetched_at, last_event_id)
       VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
       ON CONFLICT (type, id) DO UPDATE SET
         seller_id = excluded.seller_id,
         status_name = excluded.status_name,
         data = excluded.data,
         fetched_at = excluded.fetched_at,
         last_event_id = COALESCE(excluded.last_event_id, resources.last_event_id)
       WHERE excluded.fetched_at > resources.fetched_at
       RETURNING fetched_at`,
    )
    .bind(row.type, row.id, row.seller_id, row.status_name, row.data, row.fetched_at, row.last_event_id);
}

export function getSnapshot(db: D1Database, type: string, id: string) {
  return db.prepare("SELECT * FROM resources WHERE type = ?1 AND id = ?2").bind(type, id).first<StoredResource>();
}
