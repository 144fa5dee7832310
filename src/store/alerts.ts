/** All SQL on `alerts` (what was raised, and whether it went out) and `alert_states` (the last state seen of each watched thing). */
import { rowsOf } from "./rows";

export const ALERT_STATUSES = ["pending", "sent", "failed"] as const;
export type AlertStatus = (typeof ALERT_STATUSES)[number];

/** An alert as stored; `data` is the JSON of its details. */
export type AlertRow = {
  id: string;
  kind: string;
  subject: string;
  data: string;
  created_at: number;
  sent_at: number | null;
  status: AlertStatus;
  attempts: number;
  last_error: string | null;
};

/** The last state the alerts cron saw of each key (`health`, `destination:<id>`, `retention:<id>`). */
export async function readAlertStates(db: D1Database): Promise<Map<string, string>> {
  const rows = await rowsOf<{ key: string; state: string }>(db.prepare("SELECT key, state FROM alert_states"));
  return new Map(rows.map((row) => [row.key, row.state]));
}

export type NewAlert = { id: string; kind: string; subject: string; data: string };

/**
 * In one transaction: the key's new state, and the alert unless one of the same kind and subject
 * was raised after `repeatSince` (a repeat, suppressed). Returns whether the alert was recorded.
 * With `alert` null only the state moves (a change not worth an alert, such as a first sighting).
 */
export async function recordStateChange(
  db: D1Database,
  change: { key: string; state: string; now: number; repeatSince: number },
  alert: NewAlert | null,
): Promise<boolean> {
  const statements = [
    db
      .prepare(
        `INSERT INTO alert_states (key, state, changed_at) VALUES (?1, ?2, ?3)
         ON CONFLICT (key) DO UPDATE SET state = excluded.state, changed_at = excluded.changed_at`,
      )
      .bind(change.key, change.state, change.now),
  ];
  if (alert) statements.push(insertAlertStatement(db, alert, change.now, change.repeatSince));
  const results = await db.batch(statements);
  return (results[1]?.meta.changes ?? 0) > 0;
}

/** Records an alert that is not a change of a watched state (a digest), unless it repeats. */
export async function recordAlert(db: D1Database, alert: NewAlert, now: number, repeatSince: number) {
  const result = await insertAlertStatement(db, alert, now, repeatSince).run();
  return result.meta.changes > 0;
}

function insertAlertStatement(db: D1Database, alert: NewAlert, now: number, repeatSince: number) {
  return db
    .prepare(
      `INSERT INTO alerts (id, kind, subject, data, created_at, status, attempts)
       SELECT ?1, ?2, ?3, ?4, ?5, 'pending', 0
       WHERE NOT EXISTS (SELECT 1 FROM alerts WHERE kind = ?2 AND subject = ?3 AND created_at > ?6)`,
    )
    .bind(alert.id, alert.kind, alert.subject, alert.data, now, repeatSince);
}

/** When an alert of this kind and subject was last recorded, or null (one seek on alerts_by_subject). */
export async function lastAlertAt(db: D1Database, kind: string, subject: string): Promise<number | null> {
  const row = await db
    .prepare("SELECT created_at FROM alerts WHERE kind = ?1 AND subject = ?2 ORDER BY created_at DESC LIMIT 1")
    .bind(kind, subject)
    .first<{ created_at: number }>();
  return row?.created_at ?? null;
}

/** Pending alerts, oldest first. */
export async function pendingAlerts(db: D1Database, limit: number): Promise<AlertRow[]> {
  return rowsOf<AlertRow>(db.prepare("SELECT * FROM alerts WHERE status = 'pending' ORDER BY id LIMIT ?1").bind(limit));
}

export async function markAlertSent(db: D1Database, id: string, at: number): Promise<void> {
  await db
    .prepare(
      "UPDATE alerts SET status = 'sent', sent_at = ?2, attempts = attempts + 1, last_error = NULL WHERE id = ?1",
    )
    .bind(id, at)
    .run();
}

/** A failed send: one more attempt and its error; `failed` once `giveUp`. */
export async function recordAlertFailure(db: D1Database, id: string, error: string, giveUp: boolean): Promise<void> {
  await db
    .prepare(
      `UPDATE alerts SET attempts = attempts + 1, last_error = ?2, status = CASE WHEN ?3 THEN 'failed' ELSE status END
       WHERE id = ?1 AND status = 'pending'`,
    )
    .bind(id, error, giveUp ? 1 : 0)
    .run();
}

export type AlertListQuery = { limit: number; cursor?: string | undefined; kind?: string | undefined };

/** One page, newest first; `next_cursor` is the last id when more follow. */
export async function listAlerts(
  db: D1Database,
  query: AlertListQuery,
): Promise<{ alerts: AlertRow[]; next_cursor: string | null }> {
  const where: string[] = [];
  const params: (string | number)[] = [];
  if (query.kind !== undefined) {
    params.push(query.kind);
    where.push(`kind = ?${params.length}`);
  }
  if (query.cursor !== undefined) {
    params.push(query.cursor);
    where.push(`id < ?${params.length}`);
  }
  params.push(query.limit + 1);
  const filter = where.length ? ` WHERE ${where.join(" AND ")}` : "";
  const rows = await rowsOf<AlertRow>(
    db.prepare(`SELECT * FROM alerts${filter} ORDER BY id DESC LIMIT ?${params.length}`).bind(...params),
  );
  const alerts = rows.slice(0, query.limit);
  return { alerts, next_cursor: rows.length > query.limit ? (alerts.at(-1)?.id ?? null) : null };
}

/**
 * The events that ended `failed` since `since` (how many, the first `firstN` ids, the newest
 * failure's time): the digest's facts, read on the partial index of failures by time.
 */
export async function readFailuresSince(
  db: D1Database,
  since: number,
  firstN: number,
): Promise<{ count: number; firstIds: string[]; newestAt: number | null }> {
  const [count, first] = await db.batch([
    db
      .prepare(
        `SELECT COUNT(*) AS n, MAX(processed_at) AS newest FROM events INDEXED BY events_failed_by_time
         WHERE status = 'failed' AND processed_at >= ?1`,
      )
      .bind(since),
    db
      .prepare(
        `SELECT id FROM events INDEXED BY events_failed_by_time
         WHERE status = 'failed' AND processed_at >= ?1 ORDER BY processed_at LIMIT ?2`,
      )
      .bind(since, firstN),
  ]);
  const totals = count?.results[0] as { n: number; newest: number | null } | undefined;
  return {
    count: totals?.n ?? 0,
    firstIds: ((first?.results ?? []) as { id: string }[]).map((row) => row.id),
    newestAt: totals?.newest ?? null,
  };
}
