/** ClaimShard: one of a fixed number of Durable Objects that dedupe pushes in front of D1, in memory only. */
import { DurableObject } from "cloudflare:workers";

export type BeginAnswer =
  /** Nobody else holds the key: store it, then call `finish` with the ticket. */
  | { kind: "first" }
  /** Stored (by an earlier copy): answer duplicate with the first row's id. */
  | { kind: "seen"; eventId: string }
  /** Another copy is still being stored (or its outcome is unknown): retry later. */
  | { kind: "wait"; retryAfterMs: number };

export type FinishOutcome = { stored: true; eventId: string } | { stored: false };

type Waiter = (outcome: FinishOutcome | null) => void;
type InFlight = { ticket: string; until: number; waiters: Waiter[] };

/** Recent keys remembered per shard; 16 shards x 20k keys of ~100 bytes each stay a few MB. */
export const SEEN_CAPACITY = 20_000;
/** How long a copy waits for the first copy's outcome before it is told to retry. */
export const COALESCE_WAIT_MS = 2_000;

/**
 * It writes no storage: a durable write here would cost about as much as the D1 insert that has
 * to happen anyway, and D1's unique key on `dedupe_key` is what keeps one row per key. What it
 * adds is speed and calm under retries:
 * - copies in flight are coalesced: the first copy gets a ticket; a copy that arrives while the
 *   ticket is open waits (briefly) for its outcome, and is then told the stored event id, or to
 *   come back later. Nobody is told "seen" before the first copy's row is in D1.
 * - recent keys are answered from memory (a bounded LRU of key → event id), without touching D1.
 * Its memory can vanish at any moment (eviction, restart, deploy): the next copy then goes to D1,
 * whose conflict tells the truth.
 */
export class ClaimShard extends DurableObject<Env> {
  private readonly inFlight = new Map<string, InFlight>();
  /** Insertion order is recency: a hit is moved to the end, the oldest is dropped first. */
  private readonly seen = new Map<string, string>();

  /**
   * Asks for `key` under `ticket` (the caller's random token; asking again with the same ticket
   * gets the same answer, so a call whose answer was lost can be repeated). `holdMs` is how long
   * a ticket holds other copies off if its holder never finishes (it crashed): after that the
   * next copy gets the key, and D1's conflict sorts out which row exists.
   */
  async begin(key: string, ticket: string, holdMs: number): Promise<BeginAnswer> {
    const known = this.remembered(key);
    if (known) return { kind: "seen", eventId: known };
    const now = Date.now();
    const open = this.inFlight.get(key);
    if (open?.ticket === ticket) return { kind: "first" };
    if (!open || open.until <= now) {
      this.inFlight.set(key, { ticket, until: now + holdMs, waiters: open?.waiters ?? [] });
      return { kind: "first" };
    }
    const outcome = await this.waitFor(open, Math.min(COALESCE_WAIT_MS, open.until - now));
    if (outcome?.stored) return { kind: "seen", eventId: outcome.eventId };
    return { kind: "wait", retryAfterMs: Math.max(1_000, open.until - Date.now()) };
  }

  /**
   * The outcome of a ticket. A stored outcome is remembered even when the ticket is unknown
   * (memory was lost meanwhile): the row is in D1, so the answer is right either way.
   */
  finish(key: string, ticket: string, outcome: FinishOutcome): void {
    const open = this.inFlight.get(key);
    if (open?.ticket === ticket) {
      this.inFlight.delete(key);
      for (const wake of open.waiters) wake(outcome);
    }
    if (outcome.stored) this.remember(key, outcome.eventId);
  }

  /** For tests and operators: what this shard holds for a key, in memory. */
  inspect(key: string): { inFlight: boolean; eventId: string | null } {
    return { inFlight: this.inFlight.has(key), eventId: this.seen.get(key) ?? null };
  }

  /**
   * Earlier versions kept claims in this object's storage and set alarms to expire them. When
   * such an alarm fires, the leftovers are deleted; nothing sets an alarm any more.
   */
  override async alarm(): Promise<void> {
    await this.ctx.storage.deleteAll();
  }

  private waitFor(open: InFlight, ms: number): Promise<FinishOutcome | null> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        open.waiters = open.waiters.filter((w) => w !== wake);
        resolve(null);
      }, ms);
      const wake: Waiter = (outcome) => {
        clearTimeout(timer);
        resolve(outcome);
      };
      open.waiters.push(wake);
    });
  }

  private remembered(key: string): string | undefined {
    const eventId = this.seen.get(key);
    if (eventId !== undefined) {
      this.seen.delete(key);
      this.seen.set(key, eventId);
    }
    return eventId;
  }

  private remember(key: string, eventId: string): void {
    this.seen.delete(key);
    this.seen.set(key, eventId);
    if (this.seen.size > SEEN_CAPACITY) {
      const oldest = this.seen.keys().next();
      if (!oldest.done) this.seen.delete(oldest.value);
    }
  }
}
