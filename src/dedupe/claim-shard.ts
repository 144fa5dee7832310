/**
 * ClaimShard: one of a fixed number of SQLite-backed Durable Objects holding dedupe claims.
 *
 * A claim is `pending` (a claimant holds it, with a token and a lease) or `committed` (the push
 * is durable in D1 and has been answered). Pending claims whose lease ran out may be taken over,
 * so a retry finishes what a crashed attempt began; committed claims live for the retention
 * period, pending ones a little past their lease. One alarm sweeps whatever has expired.
 */
import { DurableObject } from "cloudflare:workers";

export type ClaimState =
  /** Yours: go on (fresh claim, a repeat of yours, or a takeover of an expired lease). */
  | { state: "claimed"; eventId: string; takeover: boolean }
  /** Another claimant is working on it; answer a retryable error. */
  | { state: "in_flight"; eventId: string; retryAfterMs: number }
  /** Already stored and answered. */
  | { state: "committed"; eventId: string };

type ClaimRecord = {
  key: string;
  status: "pending" | "committed";
  token: string;
  event_id: string;
  lease_until: number;
  expires_at: number;
};

/** How long after its lease a pending claim is kept before the alarm removes it. */
const PENDING_GRACE_MS = 60 * 60 * 1000;

export class ClaimShard extends DurableObject<Env> {
  private readonly sql: SqlStorage;
  private nextAlarm: number | null = null;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    this.sql.exec(`CREATE TABLE IF NOT EXISTS claims (
      key TEXT PRIMARY KEY,
      status TEXT NOT NULL,
      token TEXT NOT NULL,
      event_id TEXT NOT NULL,
      lease_until INTEGER NOT NULL,
      expires_at INTEGER NOT NULL
    )`);
    this.sql.exec("CREATE INDEX IF NOT EXISTS claims_by_expiry ON claims (expires_at)");
  }

  claim(key: string, token: string, eventId: string, leaseMs: number): ClaimState {
    const now = Date.now();
    const existing = this.sql.exec<ClaimRecord>("SELECT * FROM claims WHERE key = ?", key).toArray()[0];
    if (existing?.status === "committed") return { state: "committed", eventId: existing.event_id };
    if (existing && existing.token !== token && existing.lease_until > now) {
      return { state: "in_flight", eventId: existing.event_id, retryAfterMs: existing.lease_until - now };
    }
    // New claim, a repeat by the same claimant (same answer), or a takeover. A takeover claims
    // under its own event id, so the id's time stays the row's received_at; if the crashed
    // attempt had already stored the row, the D1 insert finds it and answers with its id.
    const repeat = existing !== undefined && existing.token === token;
    const claimedId = repeat ? existing.event_id : eventId;
    const leaseUntil = now + leaseMs;
    const expiresAt = leaseUntil + PENDING_GRACE_MS;
    this.sql.exec(
      `INSERT INTO claims (key, status, token, event_id, lease_until, expires_at) VALUES (?, 'pending', ?, ?, ?, ?)
       ON CONFLICT (key) DO UPDATE SET token = excluded.token, event_id = excluded.event_id,
         lease_until = excluded.lease_until, expires_at = excluded.expires_at`,
      key,
      token,
      claimedId,
      leaseUntil,
      expiresAt,
    );
    this.scheduleSweep(expiresAt);
    return { state: "claimed", eventId: claimedId, takeover: existing !== undefined && !repeat };
  }

  /** Marks the push stored and answered. Idempotent; `eventId` is the row D1 holds for the key. */
  commit(key: string, eventId: string, retainMs: number): void {
    const expiresAt = Date.now() + retainMs;
    this.sql.exec(
      `INSERT INTO claims (key, status, token, event_id, lease_until, expires_at) VALUES (?, 'committed', '', ?, 0, ?)
       ON CONFLICT (key) DO UPDATE SET status = 'committed', event_id = excluded.event_id, lease_until = 0,
         expires_at = excluded.expires_at`,
      key,
      eventId,
      expiresAt,
    );
    this.scheduleSweep(expiresAt);
  }

  /** Gives up a pending claim held with `token`, so a retry need not wait for the lease. */
  release(key: string, token: string): void {
    this.sql.exec("DELETE FROM claims WHERE key = ? AND status = 'pending' AND token = ?", key, token);
  }

  /** For tests and operators: the claim as stored. */
  inspect(key: string): ClaimRecord | null {
    return this.sql.exec<ClaimRecord>("SELECT * FROM claims WHERE key = ?", key).toArray()[0] ?? null;
  }

  override async alarm(): Promise<void> {
    const now = Date.now();
    this.sql.exec("DELETE FROM claims WHERE expires_at <= ?", now);
    const next = this.sql.exec<{ next: number | null }>("SELECT MIN(expires_at) AS next FROM claims").one().next;
    this.nextAlarm = null;
    if (next !== null) await this.ctx.storage.setAlarm(next);
    this.nextAlarm = next;
  }

  /** Keeps one alarm, at the earliest expiry; the in-memory copy spares a storage read per claim. */
  private scheduleSweep(at: number): void {
    if (this.nextAlarm !== null && this.nextAlarm <= at) return;
    this.nextAlarm = at;
    void this.ctx.storage.setAlarm(at);
  }
}
