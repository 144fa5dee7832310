/**
 * Property (fast-check): whatever order inserts and status changes commit in, and however the
 * poller's reads interleave with them, a client that follows GET /api/feed with `next_after`
 * ends with every event in its final status, reads seqs strictly ascending (so no seq twice),
 * sees each event's seqs ascending, and skips nothing: every change committed after its
 * position is read at that change's seq or a later one of the same event.
 */
import { env } from "cloudflare:workers";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { EventStatus } from "../src/events/vocabulary";
import { apiGet, json, storeEvent, uniqueSeller } from "./helpers/read-api";

type Change = { id: string; seq: number; status: EventStatus; seller_id: string | null };

/** One step of a run: store event k, set event k's status, or let the poller read one page. */
type Step =
  | { kind: "insert"; key: number; ageMs: number }
  | { kind: "status"; key: number; status: EventStatus }
  | { kind: "poll" };

const step: fc.Arbitrary<Step> = fc.oneof(
  fc.record({ kind: fc.constant("insert" as const), key: fc.nat(7), ageMs: fc.nat(60_000) }),
  fc.record({
    kind: fc.constant("status" as const),
    key: fc.nat(7),
    status: fc.constantFrom<EventStatus>("received", "processed", "skipped", "failed"),
  }),
  fc.constant({ kind: "poll" as const }),
);

/** Steps in rounds; the steps of one round run at once, so their commit order is up to D1. */
const rounds = fc.array(fc.array(step, { minLength: 1, maxLength: 5 }), { minLength: 1, maxLength: 8 });

/** A client polling the feed; its polls run one after another, like a client's loop. */
class Poller {
  position: number;
  readonly seen: Change[] = [];
  private turn: Promise<unknown> = Promise.resolve();
  constructor(
    start: number,
    private readonly seller: string,
  ) {
    this.position = start;
  }
  /** One page, after the poll before it; returns how many changes it held (of every seller). */
  poll(limit: number): Promise<number> {
    const next = this.turn.then(() => this.pollNow(limit));
    this.turn = next;
    return next;
  }
  private async pollNow(limit: number): Promise<number> {
    const res = await apiGet(`/api/feed?after=${this.position}&limit=${limit}`);
    const page = await json<{ changes: Change[]; next_after: number }>(res);
    for (const change of page.changes) if (change.seller_id === this.seller) this.seen.push(change);
    // Every page read, of any seller, must continue strictly past the position.
    if (page.changes.length > 0) expect(page.changes[0]?.seq).toBeGreaterThan(this.position);
    this.position = page.next_after;
    return page.changes.length;
  }
  async drain(): Promise<void> {
    while ((await this.poll(3)) > 0) {}
  }
}

async function highestSeq(): Promise<number> {
  const row = await env.DB.prepare("SELECT COALESCE(MAX(seq), 0) AS seq FROM events").first<{ seq: number }>();
  return row?.seq ?? 0;
}

describe("following the change feed", () => {
  it("sees every event in its final status, ascending, skipping nothing, whatever the commit order", async () => {
    await fc.assert(
      fc.asyncProperty(rounds, fc.integer({ min: 1, max: 4 }), async (plan, pageSize) => {
        const seller = uniqueSeller();
        const poller = new Poller(await highestSeq(), seller);
        const ids = new Map<number, string>();
        const now = Date.now();
        for (const round of plan) {
          await Promise.all(
            round.map(async (s) => {
              if (s.kind === "poll") return void (await poller.poll(pageSize));
              if (s.kind === "insert") {
                if (ids.has(s.key)) return;
                ids.set(s.key, "");
                // An older arrival time than events already stored: its id sorts before theirs.
                const row = await storeEvent({ seller_id: seller, at: now - s.ageMs });
                ids.set(s.key, row.id);
                return;
              }
              const id = ids.get(s.key);
              if (!id) return;
              await env.DB.prepare("UPDATE events SET status = ?2 WHERE id = ?1").bind(id, s.status).run();
            }),
          );
        }
        await poller.drain();

        const { results: final } = await env.DB.prepare("SELECT id, status, seq FROM events WHERE seller_id = ?1")
          .bind(seller)
          .all<{ id: string; status: EventStatus; seq: number }>();
        const seqs = poller.seen.map((change) => change.seq);
        expect(seqs).toEqual([...seqs].sort((x, y) => x - y));
        expect(new Set(seqs).size).toBe(seqs.length);
        // The last change the poller read of each event is the event as it is now.
        const mirror = new Map(poller.seen.map((change) => [change.id, { status: change.status, seq: change.seq }]));
        expect(mirror.size).toBe(final.length);
        for (const row of final) expect(mirror.get(row.id), row.id).toEqual({ status: row.status, seq: row.seq });
      }),
      { numRuns: 40 },
    );
  });
});
