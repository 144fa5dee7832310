/** The geometry of the hourly chart: a round y scale and bars stacked by category. */
import { describe, expect, it } from "vitest";
import { CHART_SIZES, type HourBucket, layoutHourlyChart, niceScale } from "../src/dashboard/chart";
import { formatAgo, formatTime } from "../src/dashboard/format";
import { formatSeconds, layoutFreshnessChart } from "../src/dashboard/freshness-chart";

describe("y scale", () => {
  it.each([
    [0, 4],
    [1, 1],
    [3, 3],
    [7, 8],
    [37, 40],
    [120, 150],
    [999, 1000],
  ])("rounds a maximum of %i up to %i", (max, top) => {
    expect(niceScale(max).top).toBe(top);
    expect(niceScale(max).ticks.at(-1)).toBe(top);
  });
});

describe("bars", () => {
  const hours: HourBucket[] = [
    { hour_start: 0, total: 0, by_category: {} },
    { hour_start: 3_600_000, total: 4, by_category: { shipment: 1, order: 3 } },
  ];

  it("draws one bar per category present, orders below shipments", () => {
    const { bars } = layoutHourlyChart(hours);
    expect(bars.map((b) => b.category)).toEqual(["order", "shipment"]);
    const [order, shipment] = bars;
    expect((order?.height ?? 0) / (shipment?.height ?? 1)).toBeCloseTo(3);
    expect((shipment?.y ?? 0) + (shipment?.height ?? 0)).toBeCloseTo(order?.y ?? -1);
  });

  it("reaches the top of the scale with the tallest hour", () => {
    const { bars, ticks } = layoutHourlyChart(hours);
    const top = Math.min(...bars.map((b) => b.y));
    expect(top).toBeCloseTo(ticks.at(-1)?.y ?? -1);
  });
});

describe("the phone's drawing", () => {
  const day: HourBucket[] = Array.from({ length: 24 }, (_, i) => ({
    hour_start: i * 3_600_000,
    total: i,
    by_category: (i ? { order: i } : {}) as Record<string, number>,
  }));

  it("keeps all 24 bars inside its width, right of the y-axis labels", () => {
    const { bars } = layoutHourlyChart(day, CHART_SIZES.narrow);
    const { width, pad } = CHART_SIZES.narrow;
    expect(Math.min(...bars.map((b) => b.x))).toBeGreaterThanOrEqual(pad.left);
    expect(Math.max(...bars.map((b) => b.x + b.width))).toBeLessThanOrEqual(width - pad.right);
  });

  it("has y-axis values from 0 to the top of the scale, inside its height", () => {
    const { ticks } = layoutHourlyChart(day, CHART_SIZES.narrow);
    expect(ticks.map((t) => t.value)).toEqual([0, 10, 20, 30]);
    for (const t of ticks) {
      expect(t.y).toBeGreaterThanOrEqual(CHART_SIZES.narrow.pad.top);
      expect(t.y).toBeLessThanOrEqual(CHART_SIZES.narrow.height - CHART_SIZES.narrow.pad.bottom);
    }
  });
});

describe("the freshness chart", () => {
  const hour = (i: number, p50: number | null, p95: number | null) => ({
    hour_start: i * 3_600_000,
    p50_seconds: p50,
    p95_seconds: p95,
    p99_seconds: p95,
    settled: p50 === null ? 0 : 10,
  });

  it("draws a p95 bar and a narrower p50 bar for each hour with settled events, none for the others", () => {
    const { bars } = layoutFreshnessChart([hour(0, 2, 12), hour(1, null, null), hour(2, 60, 600)]);
    expect(bars.map((b) => [b.hour.hour_start, b.kind])).toEqual([
      [0, "p95"],
      [0, "p50"],
      [7_200_000, "p95"],
      [7_200_000, "p50"],
    ]);
    const [p95, p50] = bars;
    expect(p50?.width).toBeLessThan(p95?.width ?? 0);
    expect(p50?.height).toBeLessThan(p95?.height ?? 0);
  });

  it("puts seconds on a log scale: each tenfold is the same height, a day at the top", () => {
    const { bars, ticks } = layoutFreshnessChart([hour(0, 10, 100), hour(1, 1000, 86_400)]);
    const height = (i: number) => bars[i]?.height ?? 0;
    expect(height(0) - height(1)).toBeCloseTo(height(3) - height(0));
    expect(bars[2]?.y).toBeCloseTo(ticks.at(-1)?.y ?? -1);
    expect(ticks.map((t) => t.label)).toEqual(["1 s", "10 s", "1 min", "10 min", "1 h", "1 d"]);
  });

  it("writes durations as people say them", () => {
    expect(formatSeconds(null)).toBe("—");
    expect(formatSeconds(12)).toBe("12 s");
    expect(formatSeconds(600)).toBe("10 min");
    expect(formatSeconds(5400)).toBe("90 min");
    expect(formatSeconds(9000)).toBe("2.5 h");
    expect(formatSeconds(86_400)).toBe("24 h");
  });
});

describe("formatting", () => {
  it("writes times in UTC to the second", () => {
    expect(formatTime(Date.UTC(2024, 10, 28, 8, 0, 12, 999))).toBe("2024-11-28 08:00:12");
    expect(formatTime(null)).toBe("—");
  });

  it("writes ages roughly", () => {
    expect(formatAgo(0, 59_000)).toBe("59 s ago");
    expect(formatAgo(0, 3 * 60_000)).toBe("3 min ago");
    expect(formatAgo(0, 5 * 3_600_000)).toBe("5 h ago");
    expect(formatAgo(null, 0)).toBe("never");
  });
});
