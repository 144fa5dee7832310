/**
 * The change-feed counter kept by D1 triggers: every insert and every status change takes the
 * next `seq` in the statement that makes it (also inside a `db.batch`), other updates leave it
 * alone, a deleted event's seq is never handed out again, and the triggers' MAX and the feed
 * page are read from the seq index.
 */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { FEED_SQL } from "../src/store/feed";
import { reopenEventForReplay } from "../src/store/followup-state";
import { insertReceivedEvent } from "./helpers/followup";
import { planOf } from "./helpers/query-plan";

async function seqOf(id: string): Promise<number> {
  const row = await env.DB.prepare("SELECT seq FROM events WHERE id = ?1").bind(id).first<{ seq: number | null }>();
  if (row?.seq == null) throw new Error(`event ${id} has no seq`);
  return row.seq;
}

async function highestSeq(): Promise<number> {
  const row = await env.DB.prepare("SELECT MAX(seq) AS seq FROM events").first<{ seq: number | null }>();
  return row?.seq ?? 0;
}

function setStatus(id: string, status: string) {
  return env.DB.prepare("UPDATE events SET status = ?2 WHERE id = ?1").bind(id, status).run();
}

const planText = async (sql: string, params: (string | number)[] = []) => (await planOf(sql, params)).join(" | ");

describe("seq on insert", () => {
  it("a new event takes a seq higher than every stored one", async () => {
    const first = await insertReceivedEvent();
    const before = await highestSeq();
    const second = await insertReceivedEvent();
    expect(await seqOf(second)).toBe(before + 1);
    expect(await seqOf(second)).toBeGreaterThan(await seqOf(first));
  });

  it("a duplicate insert (dedupe key conflict) takes no seq", async () => {
    const id = await insertReceivedEvent();
    const before = await highestSeq();
    await env.DB.prepare(
      `INSERT INTO events (id, dedupe_key, category, status, received_at, payload)
       VALUES (?1 || 'x', 'test:' || ?1, 'order', 'received', 0, '{}') ON CONFLICT (dedupe_key) DO NOTHING`,
    )
      .bind(id)
      .run();
    expect(await highestSeq()).toBe(before);
  });

  it("several rows inserted by one statement each take their own seq", async () => {
    const base = await insertReceivedEvent();
    const before = await highestSeq();
    await env.DB.prepare(
      `INSERT INTO events (id, dedupe_key, category, status, received_at, payload)
       SELECT ?1 || value, 'multi:' || ?1 || value, 'order', 'received', 0, '{}' FROM json_each('["A","B","C"]')`,
    )
      .bind(base)
      .run();
    const { results } = await env.DB.prepare("SELECT seq FROM events WHERE dedupe_key LIKE 'multi:' || ?1 || '%'")
      .bind(base)
      .all<{ seq: number }>();
    expect(results.map((row) => row.seq).sort()).toEqual([before + 1, before + 2, before + 3]);
  });
});

describe("seq on status change", () => {
  it("a status change moves the event to the next seq", async () => {
    const id = await insertReceivedEvent();
    await insertReceivedEvent();
    const before = await highestSeq();
    await setStatus(id, "processed");
    expect(await seqOf(id)).toBe(before + 1);
  });

  it("an update that leaves the status as it was keeps the seq", async () => {
    const id = await insertReceivedEvent();
    const seq = await seqOf(id);
    await insertReceivedEvent();
    await env.DB.prepare("UPDATE events SET attempts = attempts + 1, last_error = 'x', status = status WHERE id = ?1")
      .bind(id)
      .run();
    expect(await seqOf(id)).toBe(seq);
  });

  it("a status change inside a db.batch also takes the next seq", async () => {
    const id = await insertReceivedEvent({ status: "failed" });
    await insertReceivedEvent();
    const before = await highestSeq();
    const reopened = await reopenEventForReplay(env.DB, id, Date.now());
    expect(reopened?.previous).toBe("failed");
    expect(await seqOf(id)).toBe(before + 1);
  });

  it("one statement changing several events gives each its own seq", async () => {
    const ids = [await insertReceivedEvent(), await insertReceivedEvent(), await insertReceivedEvent()];
    const before = await highestSeq();
    await env.DB.prepare("UPDATE events SET status = 'processed' WHERE id IN (SELECT value FROM json_each(?1))")
      .bind(JSON.stringify(ids))
      .run();
    const seqs = await Promise.all(ids.map(seqOf));
    expect(seqs.sort()).toEqual([before + 1, before + 2, before + 3]);
  });
});

describe("seq after a delete", () => {
  it("deleting the event that holds the highest seq does not hand that seq out again", async () => {
    const last = await insertReceivedEvent();
    const removed = await seqOf(last);
    await env.DB.prepare("DELETE FROM events WHERE id = ?1").bind(last).run();
    const next = await insertReceivedEvent();
    expect(await seqOf(next)).toBe(removed + 1);
  });
});

describe("query plans", () => {
  it("the triggers' MAX(seq) is read from the end of the seq index", async () => {
    const plan = await planText("SELECT MAX(seq) FROM events");
    expect(plan).toContain("events_by_seq");
    expect(plan).not.toMatch(/^SCAN events$/m);
  });

  it("a feed page walks the seq index without sorting", async () => {
    const plan = await planText(FEED_SQL.page, [0, 100]);
    expect(plan).toContain("events_by_seq");
    expect(plan).not.toContain("TEMP B-TREE");
  });
});
