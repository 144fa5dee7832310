/**
 * Freshness (arrival → settled): counted by a trigger on the settling write into a histogram of
 * fixed buckets by 10-minute slot, never by the push; its percentiles equal a brute-force
 * computation over the same events; its read does not grow with the events.
 */
import { env } from "cloudflare:workers";
import { beforeEach, describe, expect, it } from "vitest";
import { bucketOf, FRESHNESS_EDGES_SECONDS, percentileOf } from "../src/lib/freshness-buckets";
import { newUlid } from "../src/lib/ids";
import { lastHourFirstSlot, readFreshness } from "../src/read-model/freshness";
import { statsWindowStart } from "../src/read-model/stats";
import { insertEvent } from "../src/store/event-writes";
import {
  markEventSkippedStatement,
  markEventsProcessedStatement,
  reopenEventForReplay,
} from "../src/store/followup-state";
import { FRESHNESS_SQL, slotOf } from "../src/store/freshness";
import { insertReceivedEvent } from "./helpers/followup";
import { samplePush, sendPush } from "./helpers/push";
import { apiGet } from "./helpers/read-api";

const HOUR = 3_600_000;

beforeEach(async () => {
  await env.DB.batch([env.DB.prepare("DELETE FROM events"), env.DB.prepare("DELETE FROM freshness_histogram")]);
});

async function histogramRows() {
  const { results } = await env.DB.prepare(
    "SELECT slot, le_seconds, n FROM freshness_histogram ORDER BY slot, le_seconds",
  ).all<{ slot: number; le_seconds: number; n: number }>();
  return results;
}

/** An event received at `receivedAt`, settled `processed` at `settledAt` by the consumer's own write. */
async function settleAt(receivedAt: number, settledAt: number, source: "push" | "reconcile" | "selftest" = "push") {
  const id = newUlid(receivedAt);
  await insertEvent(env.DB, {
    id,
    dedupe_key: `fresh:${id}`,
    request_id: null,
    event: "order.shipped",
    category: "order",
    seller_id: null,
    resource_type: "order",
    resource_id: "OM-F",
    order_number: "OM-F",
    status: "received",
    signature_valid: true,
    source,
    received_at: receivedAt,
    payload: "{}",
  });
  await markEventsProcessedStatement(env.DB, [{ id, generation: 0 }], settledAt).run();
  return id;
}

describe("the freshness histogram", () => {
  it("puts each latency in the bucket the trigger and bucketOf agree on, at and just past every edge", async () => {
    const base = slotOf(Date.now()) - 48 * HOUR;
    const latencies = FRESHNESS_EDGES_SECONDS.flatMap((edge) => [edge * 1000, edge * 1000 + 1]);
    // Each latency in a slot of its own, so each histogram row is one latency.
    for (const [i, latency] of latencies.entries()) {
      const settledAt = base + i * 600_000 + 300_000;
      await settleAt(settledAt - latency, settledAt);
    }
    const rows = await histogramRows();
    expect(rows.map((row) => [row.slot, row.le_seconds, row.n])).toEqual(
      latencies.map((latency, i) => [base + i * 600_000, bucketOf(latency), 1]),
    );
    // The edges themselves, and past the last edge: still the last bucket.
    expect(bucketOf(1000)).toBe(1);
    expect(bucketOf(1001)).toBe(2);
    expect(bucketOf(86_400_000 + 1)).toBe(86_400);
  });

  it("is not written by a push, only by the settling", async () => {
    const res = await sendPush(samplePush());
    expect(res.headers.get("Push-Status")).toBe("accepted");
    expect(await histogramRows()).toEqual([]);
  });

  it("counts skipped and failed events, and a replay from its reopen", async () => {
    const now = Date.now();
    const skipped = await insertReceivedEvent({ receivedAt: now - 3_000 });
    await markEventSkippedStatement(env.DB, { id: skipped, generation: 0 }, "nothing to fetch", now).run();
    const replayed = await settleAt(now - 5 * HOUR, now - 5 * HOUR + 500);
    await reopenEventForReplay(env.DB, replayed, now - 20_000);
    await markEventsProcessedStatement(env.DB, [{ id: replayed, generation: 1 }], now).run();

    const inSlot = (await histogramRows()).filter((row) => row.slot === slotOf(now));
    expect(inSlot.map((row) => [row.le_seconds, row.n])).toEqual([
      [3, 1],
      [20, 1],
    ]);
  });

  it("leaves self-test pushes out", async () => {
    const now = Date.now();
    await settleAt(now - 2_000, now, "selftest");
    expect(await histogramRows()).toEqual([]);
  });

  it("reads back O(1) rows in the number of events: one per slot and bucket used", async () => {
    const now = Date.now();
    const read = async () => {
      const result = await env.DB.prepare(FRESHNESS_SQL.since)
        .bind(slotOf(now - 24 * HOUR))
        .all();
      return { rows: result.results.length, rowsRead: result.meta.rows_read };
    };
    for (let i = 0; i < 5; i++) await settleAt(now - 2_500, now);
    const few = await read();
    for (let i = 0; i < 200; i++) await settleAt(now - 2_500, now);
    const many = await read();
    expect(many).toEqual(few);
    expect(many.rowsRead).toBeLessThanOrEqual(2);
  });
});

/** Nearest rank over the latencies themselves, mapped to a bucket as the rollup maps it. */
function bruteForce(latencies: number[], p: number): number | null {
  if (latencies.length === 0) return null;
  const sorted = latencies.toSorted((a, b) => a - b);
  const ranked = sorted[Math.max(1, Math.ceil((p * sorted.length) / 100)) - 1] as number;
  return bucketOf(ranked);
}

/** A small seeded generator, so a failing draw can be replayed. */
function random(seed: number) {
  let state = seed >>> 0;
  return () => {
    state = (state * 1_664_525 + 1_013_904_223) >>> 0;
    return state / 2 ** 32;
  };
}

describe("freshness percentiles", () => {
  it.each([1, 2, 3, 4, 5])("from the histogram equal a brute force over the same events (seed %s)", async (seed) => {
    const next = random(seed);
    const now = Date.now();
    const settled: { settledAt: number; latency: number }[] = [];
    const count = 40 + Math.floor(next() * 80);
    for (let i = 0; i < count; i++) {
      // Settled anywhere in the last 25 hours, latencies log-spread from 10 ms to two days.
      const settledAt = now - Math.floor(next() * 25 * HOUR);
      const latency = Math.floor(10 * 10 ** (next() * 7.2));
      await settleAt(settledAt - latency, settledAt);
      settled.push({ settledAt, latency });
    }
    const windowStart = statsWindowStart(now);
    const freshness = await readFreshness(env.DB, now, windowStart);

    const spans = {
      last_hour: (s: (typeof settled)[number]) => s.settledAt >= lastHourFirstSlot(now),
      last_24h: (s: (typeof settled)[number]) => s.settledAt >= slotOf(now - 24 * HOUR),
    };
    for (const [span, inSpan] of Object.entries(spans)) {
      const latencies = settled.filter(inSpan).map((s) => s.latency);
      expect(freshness[span as keyof typeof spans]).toEqual({
        p50_seconds: bruteForce(latencies, 50),
        p95_seconds: bruteForce(latencies, 95),
        p99_seconds: bruteForce(latencies, 99),
        settled: latencies.length,
      });
    }
    for (const hour of freshness.hourly) {
      const latencies = settled
        .filter((s) => slotOf(s.settledAt) >= hour.hour_start && slotOf(s.settledAt) < hour.hour_start + HOUR)
        .map((s) => s.latency);
      expect(hour.p95_seconds).toBe(bruteForce(latencies, 95));
      expect(hour.settled).toBe(latencies.length);
    }
  });

  it("are null with nothing settled, and a lone event is every percentile", () => {
    expect(percentileOf(new Map(), 95)).toBeNull();
    expect(percentileOf(new Map([[12, 1]]), 50)).toBe(12);
    expect(percentileOf(new Map([[12, 1]]), 99)).toBe(12);
  });

  it("take the nearest rank: 95 of 100 fast events keep the p95 fast, the 96th slow one does not", () => {
    expect(
      percentileOf(
        new Map([
          [2, 95],
          [60, 5],
        ]),
        95,
      ),
    ).toBe(2);
    expect(
      percentileOf(
        new Map([
          [2, 94],
          [60, 6],
        ]),
        95,
      ),
    ).toBe(60);
  });
});

describe("GET /api/stats freshness", () => {
  it("shows the last hour, the last 24 hours and 24 hourly figures", async () => {
    const now = Date.now();
    await settleAt(now - 4_000, now - 1_000);
    await settleAt(now - 9_000, now - 1_000);
    const res = await apiGet("/api/stats");
    expect(res.status).toBe(200);
    const body = (await res.json()) as { freshness: { last_hour: unknown; last_24h: unknown; hourly: unknown[] } };
    expect(body.freshness.last_hour).toEqual({ p50_seconds: 3, p95_seconds: 8, p99_seconds: 8, settled: 2 });
    expect(body.freshness.last_24h).toEqual({ p50_seconds: 3, p95_seconds: 8, p99_seconds: 8, settled: 2 });
    expect(body.freshness.hourly).toHaveLength(24);
    expect(body.freshness.hourly.at(-1)).toMatchObject({ p95_seconds: 8, settled: 2 });
  });
});
