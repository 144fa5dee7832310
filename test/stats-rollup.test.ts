/**
 * Event counts off the push path: a push writes nothing but its row; the cron rolls events up;
 * triggers keep rolled-up counts right when the consumer changes a status or the retention purge
 * deletes; the stats add the tail not rolled up yet, so they always equal a full count.
 */
import { createScheduledController } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { runScheduled } from "../src/cron/scheduled";
import { encodeIdTime } from "../src/lib/ids";
import { readStats } from "../src/read-model/stats";
import { samplePush, sendPush } from "./helpers/push";

async function countsTables() {
  const row = await env.DB.prepare(
    `SELECT (SELECT COALESCE(SUM(n), 0) FROM event_counts) AS totals,
            (SELECT COALESCE(SUM(n), 0) FROM event_counts_hourly) AS hourly,
            (SELECT watermark FROM event_rollup) AS watermark`,
  ).first<{ totals: number; hourly: number; watermark: number }>();
  return row;
}

/** The stats' figures against a full count of the table, which the stats never run. */
async function fullCount() {
  const { results } = await env.DB.prepare("SELECT status, COUNT(*) AS n FROM events GROUP BY status").all<{
    status: string;
    n: number;
  }>();
  return Object.fromEntries(results.map((r) => [r.status, r.n]));
}

async function byStatus() {
  const stats = await readStats(env.DB, Date.now());
  return Object.fromEntries(Object.entries(stats.by_status).filter(([, n]) => n > 0));
}

/** The every-minute cron, run now. */
async function cronLater() {
  const at = Date.now();
  await runScheduled(createScheduledController({ scheduledTime: at, cron: "* * * * *" }), env);
}

describe("event counts", () => {
  it("are not written by a push: the push stores its row only", async () => {
    await cronLater();
    const before = await countsTables();
    const res = await sendPush(samplePush());
    expect(res.headers.get("Push-Status")).toBe("accepted");
    expect(await countsTables()).toEqual(before);
  });

  it("count events not rolled up yet live, so the stats match a full count before the cron runs", async () => {
    await Promise.all(Array.from({ length: 5 }, () => sendPush(samplePush())));
    expect(await byStatus()).toEqual(await fullCount());
  });

  it("are rolled up by the cron, and the stats still match a full count", async () => {
    await Promise.all(Array.from({ length: 5 }, () => sendPush(samplePush())));
    await cronLater();
    const tables = await countsTables();
    const total = Object.values(await fullCount()).reduce((a, b) => a + b, 0);
    expect(tables?.totals).toBe(total);
    expect(tables?.hourly).toBe(total);
    expect(await byStatus()).toEqual(await fullCount());
  });

  it("follow a status change of a rolled-up event (the consumer's write pays, by trigger)", async () => {
    const res = await sendPush(samplePush());
    await cronLater();
    const id = res.headers.get("Push-Event-Id");
    await env.DB.prepare("UPDATE events SET status = 'failed', last_error = 'x' WHERE id = ?1").bind(id).run();
    expect(await byStatus()).toEqual(await fullCount());
    const stats = await readStats(env.DB, Date.now());
    expect(stats.failures.last_24h).toBe((await fullCount()).failed);
  });

  it("count an event stored late with an old id (as seeding or a slow writer would)", async () => {
    await cronLater();
    const old = Date.now() - 3 * 3_600_000;
    await env.DB.prepare(
      `INSERT INTO events (id, dedupe_key, event, category, status, received_at, payload)
       VALUES (?1, ?2, 'order.created', 'order', 'processed', ?3, '{}')`,
    )
      .bind(`${encodeIdTime(old)}0000000000000000`, `late-${crypto.randomUUID()}`, old)
      .run();
    await cronLater();
    expect(await byStatus()).toEqual(await fullCount());
    expect((await countsTables())?.totals).toBe(Object.values(await fullCount()).reduce((a, b) => a + b, 0));
  });

  it("follow the retention purge of rolled-up events", async () => {
    await Promise.all(Array.from({ length: 3 }, () => sendPush(samplePush())));
    await cronLater();
    await env.DB.prepare("DELETE FROM events WHERE id IN (SELECT id FROM events ORDER BY id LIMIT 2)").run();
    expect(await byStatus()).toEqual(await fullCount());
  });

  it("say the figures are complete when the tail is within what the stats count live", async () => {
    const stats = await readStats(env.DB, Date.now());
    expect(stats.counts_complete).toBe(true);
  });
});
