/** The geometry of the hourly chart: a round y scale and bars stacked by category. */
import { describe, expect, it } from "vitest";
import { CHART_SIZES, type HourBucket, layoutHourlyChart, niceScale } from "../src/dashboard/chart";
import { formatAgo, formatTime } from "../src/dashboard/format";

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
