/**
 * GET /api/feed through the worker's fetch: events past `after`, ascending by seq, each with its
 * current status; `next_after` to poll with; a status change brings an event back; an id or time
 * cursor on /api/events can miss an event stored late, the feed cannot; bad parameters are 400s.
 */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { apiGet, itRefusesWithoutTokenOrWithBadQueries, json, storeEvent, uniqueSeller } from "./helpers/read-api";

type Change = { id: string; seq: number; status: string; seller_id: string | null };
type FeedAnswer = { changes: Change[]; next_after: number };

async function feed(after: number, limit = 500): Promise<FeedAnswer> {
  const res = await apiGet(`/api/feed?after=${after}&limit=${limit}`);
  expect(res.status).toBe(200);
  return json<FeedAnswer>(res);
}

async function highestSeq(): Promise<number> {
  const row = await env.DB.prepare("SELECT COALESCE(MAX(seq), 0) AS seq FROM events").first<{ seq: number }>();
  return row?.seq ?? 0;
}

/** Follows the feed from `after` to its end; the changes of `seller` only. */
async function follow(after: number, seller: string): Promise<{ changes: Change[]; next_after: number }> {
  const changes: Change[] = [];
  let position = after;
  for (;;) {
    const page = await feed(position, 2);
    changes.push(...page.changes.filter((change) => change.seller_id === seller));
    if (page.changes.length === 0) return { changes, next_after: position };
    position = page.next_after;
  }
}

describe("GET /api/feed", () => {
  it("lists events stored after `after` in ascending seq, with seq and status", async () => {
    const seller = uniqueSeller();
    const start = await highestSeq();
    const a = await storeEvent({ seller_id: seller });
    const b = await storeEvent({ seller_id: seller, status: "processed" });
    const { changes } = await follow(start, seller);
    expect(changes.map((change) => change.id)).toEqual([a.id, b.id]);
    expect(changes.map((change) => change.status)).toEqual(["received", "processed"]);
    expect(changes[0]?.seq).toBeLessThan(changes[1]?.seq ?? 0);
  });

  it("answers next_after = the last seq returned, and `after` itself when nothing follows", async () => {
    const start = await highestSeq();
    await storeEvent();
    const page = await feed(start, 1);
    expect(page.next_after).toBe(page.changes[0]?.seq);
    const end = await highestSeq();
    expect(await feed(end)).toEqual({ changes: [], next_after: end });
  });

  it("brings an event back, at a higher seq, when its status changes", async () => {
    const seller = uniqueSeller();
    const event = await storeEvent({ seller_id: seller });
    const first = await follow(0, seller);
    await env.DB.prepare("UPDATE events SET status = 'processed' WHERE id = ?1").bind(event.id).run();
    const second = await follow(first.next_after, seller);
    expect(second.changes).toHaveLength(1);
    expect(second.changes[0]).toMatchObject({ id: event.id, status: "processed" });
    expect(second.changes[0]?.seq).toBeGreaterThan(first.changes[0]?.seq ?? Infinity);
  });

  it("shows seq in the event summary of /api/events too", async () => {
    const event = await storeEvent();
    const res = await apiGet(`/api/events/${event.id}`);
    expect((await json<{ seq: number }>(res)).seq).toBe(event.seq);
  });

  it("defaults to after=0 and limit=100", async () => {
    for (let i = 0; i < 3; i += 1) await storeEvent();
    const page = await json<FeedAnswer>(await apiGet("/api/feed"));
    const stored = await env.DB.prepare("SELECT COUNT(*) AS n FROM events").first<{ n: number }>();
    expect(page.changes.length).toBe(Math.min(100, stored?.n ?? 0));
    expect(page.changes[0]?.seq).toBeGreaterThan(0);
  });

  itRefusesWithoutTokenOrWithBadQueries("/api/feed", [
    ["after=-1", "after"],
    ["after=abc", "after"],
    ["after=1.5", "after"],
    ["limit=0", "limit"],
    ["limit=501", "limit"],
    ["since=5", "since"],
  ]);
});

describe("a client mirroring the events", () => {
  it("misses, with a time cursor on /api/events, an event stored after a later-id one; the feed does not", async () => {
    const seller = uniqueSeller();
    const now = Date.now();
    const startSeq = await highestSeq();
    // Received second, stored first: B (later id) commits before A (earlier id).
    const b = await storeEvent({ seller_id: seller, at: now });
    const firstPoll = await json<{ events: { id: string; received_at: number }[] }>(
      await apiGet(`/api/events?seller_id=${seller}`),
    );
    const sinceB = firstPoll.events[0]?.received_at ?? 0;
    const feedAfterB = await follow(startSeq, seller);
    const a = await storeEvent({ seller_id: seller, at: now - 1_000 });

    const byTime = await json<{ events: { id: string }[] }>(
      await apiGet(`/api/events?seller_id=${seller}&since=${sinceB + 1}`),
    );
    expect(byTime.events.map((event) => event.id)).not.toContain(a.id);
    const byFeed = await follow(feedAfterB.next_after, seller);
    expect(byFeed.changes.map((change) => change.id)).toEqual([a.id]);
    expect(feedAfterB.changes.map((change) => change.id)).toEqual([b.id]);
  });
});
