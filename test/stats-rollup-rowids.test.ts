/**
 * The event counts stay right when the purge deletes the rows holding the highest rowids. The
 * events table has a text primary key, so a new row takes the largest rowid left plus one: once
 * the newest rows are gone, new rows would get rowids at or below the rollup's watermark, never
 * be counted, and a later status change would take a count below zero.
 */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { encodeIdTime } from "../src/lib/ids";
import { rollUpEvents } from "../src/store/event-counts";

let serial = 0;

/** Stores `n` events straight in the table, as the push path's insert would (status `received`). */
async function storeEvents(n: number) {
  const now = Date.now();
  for (let i = 0; i < n; i++) {
    serial++;
    await env.DB.prepare(
      `INSERT INTO events (id, dedupe_key, event, category, status, received_at, payload)
       VALUES (?1, ?2, 'order.created', 'order', 'received', ?3, '{}')`,
    )
      .bind(`${encodeIdTime(now)}${String(serial).padStart(16, "0")}`, `rowid-${serial}`, now)
      .run();
  }
}

async function deleteNewestByRowid(n: number) {
  await env.DB.prepare("DELETE FROM events WHERE rowid IN (SELECT rowid FROM events ORDER BY rowid DESC LIMIT ?1)")
    .bind(n)
    .run();
}

async function rollUp(limit = 1_000) {
  return rollUpEvents(env.DB, limit, Date.now());
}

type Counts = Record<string, number>;

/** The kept counts (all time and hourly), and a full count of the table, by status. */
async function counts(): Promise<{ totals: Counts; hourly: Counts; table: Counts; lowest: number }> {
  const read = async (sql: string) => {
    const { results } = await env.DB.prepare(sql).all<{ status: string; n: number }>();
    return Object.fromEntries(results.filter((r) => r.n !== 0).map((r) => [r.status, r.n]));
  };
  const lowest = await env.DB.prepare(
    `SELECT MIN(n) AS n FROM (SELECT n FROM event_counts UNION ALL SELECT n FROM event_counts_hourly)`,
  ).first<{ n: number | null }>();
  return {
    totals: await read("SELECT status, SUM(n) AS n FROM event_counts GROUP BY status"),
    hourly: await read("SELECT status, SUM(n) AS n FROM event_counts_hourly GROUP BY status"),
    table: await read("SELECT status, COUNT(*) AS n FROM events GROUP BY status"),
    lowest: lowest?.n ?? 0,
  };
}

async function expectCountsMatchTable() {
  const { totals, hourly, table, lowest } = await counts();
  expect(totals).toEqual(table);
  expect(hourly).toEqual(table);
  expect(lowest).toBeGreaterThanOrEqual(0);
}

describe("event counts when the newest rows are purged", () => {
  it("count the events stored after the rows holding the highest rowids were deleted", async () => {
    await storeEvents(5);
    await rollUp();
    await deleteNewestByRowid(2);
    await storeEvents(3);
    await rollUp();
    await expectCountsMatchTable();
  });

  it("never go below zero when a new event's status changes after that", async () => {
    await storeEvents(4);
    await rollUp();
    await deleteNewestByRowid(3);
    await storeEvents(2);
    await env.DB.prepare(
      "UPDATE events SET status = 'processed' WHERE rowid IN (SELECT rowid FROM events ORDER BY rowid DESC LIMIT 2)",
    ).run();
    await rollUp();
    await expectCountsMatchTable();
  });

  it("count new events after every event was purged", async () => {
    await storeEvents(3);
    await rollUp();
    await env.DB.prepare("DELETE FROM events").run();
    await storeEvents(2);
    await rollUp();
    await expectCountsMatchTable();
  });

  it("count new events when the purged newest rows were above the watermark, not rolled up yet", async () => {
    await env.DB.prepare("DELETE FROM events").run();
    await storeEvents(10);
    await rollUp(8);
    await deleteNewestByRowid(3);
    await storeEvents(2);
    await rollUp();
    await expectCountsMatchTable();
  });
});
