/** The doctor's reads: the schema's migrations, the last real push, the newest delivery attempted. */
import type { SignatureScheme } from "../events/vocabulary";
import type { DeliveryStatus } from "./deliveries";

/**
 * The newest migration file under migrations/ when this worker was built. A test compares it with
 * the files themselves, so it cannot fall behind them.
 */
export const LATEST_MIGRATION = "0017_archive_and_retention.sql";

export type MigrationState = { applied: boolean; newestApplied: string | null };

/** Whether `name` is in wrangler's `d1_migrations` table, and the newest name that is. */
export async function readMigrationState(db: D1Database, name: string): Promise<MigrationState> {
  const [wanted, newest] = await db.batch<{ name: string }>([
    db.prepare("SELECT name FROM d1_migrations WHERE name = ?1").bind(name),
    db.prepare("SELECT name FROM d1_migrations ORDER BY id DESC LIMIT 1"),
  ]);
  return { applied: (wanted?.results.length ?? 0) > 0, newestApplied: newest?.results[0]?.name ?? null };
}

export type LastPush = {
  received_at: number;
  signature_valid: boolean | null;
  signature_scheme: SignatureScheme | null;
};

/** The newest event Omisell pushed (reconciled events and self-tests left out), or null. */
export async function readLastPush(db: D1Database): Promise<LastPush | null> {
  const row = await db
    .prepare(
      "SELECT received_at, signature_valid, signature_scheme FROM events WHERE source = 'push' ORDER BY id DESC LIMIT 1",
    )
    .first<Omit<LastPush, "signature_valid"> & { signature_valid: number | null }>();
  if (!row) return null;
  return { ...row, signature_valid: row.signature_valid === null ? null : row.signature_valid === 1 };
}

export type LastDeliveryAttempt = {
  status: DeliveryStatus;
  attempts: number;
  last_status_code: number | null;
  last_error: string | null;
  last_attempt_at: number;
};

/**
 * The newest delivery to `destinationId` that has been attempted at least once, or null (walks
 * `deliveries_by_destination` down).
 */
export async function readLastDeliveryAttempt(
  db: D1Database,
  destinationId: string,
): Promise<LastDeliveryAttempt | null> {
  return db
    .prepare(
      `SELECT status, attempts, last_status_code, last_error, last_attempt_at FROM deliveries
       INDEXED BY deliveries_by_destination
       WHERE destination_id = ?1 AND last_attempt_at IS NOT NULL ORDER BY id DESC LIMIT 1`,
    )
    .bind(destinationId)
    .first<LastDeliveryAttempt>();
}
