/** The pure pieces of the event list: cursor, time bounds, id bounds, stats buckets. */
import { describe, expect, it } from "vitest";
import { encodeIdTime, newUlid } from "../src/lib/ids";
import { decodeCursor, encodeCursor, parseTimeBound, toEventListQuery } from "../src/read-model/event-query";
import { statsWindowStart, toStats } from "../src/read-model/stats";

describe("cursor", () => {
  it("round-trips an event id and is URL-safe", () => {
    const id = newUlid(Date.now());
    const cursor = encodeCursor(id);
    expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(decodeCursor(cursor)).toBe(id);
  });

  it.each(["", "%%%", "abc", encodeCursor("01JDQ3Z5J8X0K4M2N6P8R0T2V"), btoa("' OR 1=1 --")])(
    "rejects %j",
    (cursor) => {
      expect(decodeCursor(cursor)).toBeNull();
    },
  );
});

describe("time bounds", () => {
  it.each([
    ["1732780800000", 1732780800000],
    ["2024-11-28", Date.UTC(2024, 10, 28)],
    ["2024-11-28T08:00:00Z", Date.UTC(2024, 10, 28, 8)],
    ["2024-11-28T08:00", Date.UTC(2024, 10, 28, 8)],
    ["2024-11-28T15:00:00+07:00", Date.UTC(2024, 10, 28, 8)],
    ["2024-11-28T08:00:00.250Z", Date.UTC(2024, 10, 28, 8) + 250],
  ])("reads %s", (text, ms) => {
    expect(parseTimeBound(text)).toBe(ms);
  });

  it.each(["yesterday", "2024-13-01", "-5", "1e12", "99999999999999999", "28/11/2024"])("refuses %s", (text) => {
    expect(parseTimeBound(text)).toBeNull();
  });
});

describe("id bounds", () => {
  it("turns since into an inclusive and until into an exclusive id prefix", () => {
    const q = toEventListQuery({ since: 1000, until: 2000, limit: 10 });
    expect(q).toEqual({ filters: {}, minId: encodeIdTime(1000), maxId: encodeIdTime(2000), limit: 10 });
    expect(newUlid(1000) >= (q.minId as string)).toBe(true);
    expect(newUlid(2000) < (q.maxId as string)).toBe(false);
    expect(newUlid(1999) < (q.maxId as string)).toBe(true);
  });

  it("keeps the tighter of until and the cursor as the upper bound", () => {
    const cursor = newUlid(1500);
    expect(toEventListQuery({ until: 2000, cursor, limit: 10 }).maxId).toBe(cursor);
    expect(toEventListQuery({ until: 1000, cursor, limit: 10 }).maxId).toBe(encodeIdTime(1000));
  });

  it("passes equality filters through by column", () => {
    expect(toEventListQuery({ status: "failed", seller_id: "7", limit: 5 }).filters).toEqual({
      status: "failed",
      seller_id: "7",
    });
  });
});

describe("stats buckets", () => {
  it("places each hour's count in its bucket and fills missing hours with zero", () => {
    const now = Date.UTC(2024, 10, 28, 12, 30);
    const start = statsWindowStart(now);
    expect(start).toBe(Date.UTC(2024, 10, 27, 13));
    const stats = toStats(
      {
        byStatus: [{ status: "processed", n: 3 }],
        byEvent: [],
        hourly: Array.from({ length: 24 }, (_, i) =>
          i === 0 ? [{ category: "order", n: 2 }] : i === 23 ? [{ category: "shipment", n: 1 }] : [],
        ),
        failedSince: 0,
        recentFailures: [],
        oldestBacklog: null,
        lastReceived: null,
        complete: true,
      },
      now,
    );
    expect(stats.hourly[0]).toEqual({ hour_start: start, total: 2, by_category: { order: 2 } });
    expect(stats.hourly[23]).toEqual({
      hour_start: Date.UTC(2024, 10, 28, 12),
      total: 1,
      by_category: { shipment: 1 },
    });
    expect(stats.hourly[5]?.total).toBe(0);
    expect(stats.by_status).toEqual({ received: 0, processed: 3, skipped: 0, failed: 0, invalid: 0 });
  });
});
