/**
 * The dashboard's missed pushes per day read a bounded number of rows whatever the number of
 * reconciled events: they come from the hourly event counts plus the bounded tail not rolled up
 * yet, never from counting the events table. D1 reports `rows_read` per statement; the figures
 * are read in one batch, which the wrapper below sums.
 */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { encodeIdTime } from "../src/lib/ids";
import { readMissedPushesPerDay } from "../src/reconcile/figures";
import { RECONCILE_EVENT } from "../src/reconcile/missed";
import { DAILY_COUNT_SQL, rollUpEvents } from "../src/store/event-counts";
import { planOf } from "./helpers/query-plan";

const DAY_MS = 86_400_000;
let serial = 0;

/** `count` reconciled events received at `at`, stored in one statement. */
async function seedReconciled(count: number, at: number) {
  await env.DB.prepare(
    `INSERT INTO events (id, dedupe_key, event, category, resource_type, resource_id, order_number, status,
       received_at, payload, source)
     WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?1)
     SELECT ?2 || printf('%016d', ?3 + i), 'figures-' || (?3 + i), ?4, 'order', 'order', 'OMF' || (?3 + i),
       'OMF' || (?3 + i), 'processed', ?5, '{}', 'reconcile'
     FROM n`,
  )
    .bind(count, encodeIdTime(at), serial, RECONCILE_EVENT, at)
    .run();
  serial += count;
}

async function rollUpAll() {
  while ((await rollUpEvents(env.DB, 5_000, Date.now())) === 5_000);
}

/** The figures, and the rows D1 read for them. */
async function missedWithRowsRead(now: number) {
  let rowsRead = 0;
  const db = {
    prepare: (sql: string) => env.DB.prepare(sql),
    batch: async (statements: D1PreparedStatement[]) => {
      const results = await env.DB.batch(statements);
      for (const result of results) rowsRead += result.meta.rows_read ?? Number.NaN;
      return results;
    },
  } as unknown as D1Database;
  const days = await readMissedPushesPerDay(db, now);
  return { days, rowsRead };
}

/** The plan of a statement over the last 7 days of reconciled events, one line. */
async function planText(sql: string): Promise<string> {
  return (await planOf(sql, [RECONCILE_EVENT, Date.now() - 7 * DAY_MS, Date.now()])).join(" | ");
}

describe("the statements of an event's count per day", () => {
  it("seek the event's hourly counts down their (event, hour) index", async () => {
    expect(await planText(DAILY_COUNT_SQL.rolledUp)).toContain("USING COVERING INDEX event_counts_hourly_by_event");
  });

  it("read the tail by rowid above the watermark, never scanning the events table", async () => {
    const plan = await planText(DAILY_COUNT_SQL.tail);
    expect(plan).toMatch(/SEARCH events USING INTEGER PRIMARY KEY \(rowid>\?\)/);
    expect(plan).not.toMatch(/SCAN events(?! USING)/);
  });
});

describe("missed pushes per day", () => {
  it("read about the same rows with four times the reconciled events", async () => {
    const now = Date.now();
    await seedReconciled(500, now - 2 * DAY_MS);
    await seedReconciled(500, now);
    await rollUpAll();
    const small = await missedWithRowsRead(now);

    await seedReconciled(1_500, now - DAY_MS);
    await seedReconciled(1_500, now);
    await rollUpAll();
    const large = await missedWithRowsRead(now);

    expect(small.rowsRead).toBeGreaterThan(0);
    expect(small.rowsRead).toBeLessThan(100);
    expect(large.rowsRead).toBeLessThanOrEqual(small.rowsRead + 10);
    expect(large.days.map((day) => day.missed).slice(-3)).toEqual([500, 1_500, 2_000]);
  });

  it("count reconciled events not rolled up yet", async () => {
    const now = Date.now();
    const before = await missedWithRowsRead(now);
    await seedReconciled(7, now);
    const after = await missedWithRowsRead(now);
    expect((after.days.at(-1)?.missed ?? 0) - (before.days.at(-1)?.missed ?? 0)).toBe(7);
  });
});
