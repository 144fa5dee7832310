/** The overview's hourly chart of pushes by category: stacked bars of inline SVG, drawn on the server. */
import { CATEGORIES } from "../events/catalogue";
import { hourLabel, LegendEntry, YTicks } from "./chart-parts";
import { CATEGORY_COLORS, CATEGORY_LABELS } from "./format";

/** One hour of the stats' `hourly`: what the chart draws. */
export type HourBucket = { hour_start: number; total: number; by_category: Record<string, number> };

/**
 * The chart's two drawings: `wide` for a screen, `narrow` for a phone (CSS shows one). The narrow
 * one is drawn for about 360 px, so its 24 bars, y-axis labels and hour labels fit the screen at a
 * readable size with nothing to scroll.
 */
export const CHART_SIZES = {
  wide: { width: 1000, height: 230, pad: { top: 12, right: 8, bottom: 26, left: 36 }, font: 12, labelEvery: 3 },
  narrow: { width: 360, height: 200, pad: { top: 10, right: 4, bottom: 22, left: 30 }, font: 11, labelEvery: 6 },
} as const;
export type ChartSize = (typeof CHART_SIZES)[keyof typeof CHART_SIZES];

const CATEGORY_ORDER: readonly string[] = CATEGORIES;

type ChartBar = {
  x: number;
  y: number;
  width: number;
  height: number;
  category: string;
  count: number;
  hourStart: number;
};

/** A round upper bound for the y axis (steps of 1, 2, 5 × 10^n) and its gridline values. */
export function niceScale(max: number): { top: number; ticks: number[] } {
  if (max <= 0) return { top: 4, ticks: [0, 1, 2, 3, 4] };
  const rough = max / 4;
  const magnitude = 10 ** Math.floor(Math.log10(rough));
  // Counts are whole numbers: never a gridline at 0.5.
  const step = Math.max(1, ([1, 2, 5, 10].find((m) => m * magnitude >= rough) ?? 10) * magnitude);
  const top = Math.ceil(max / step) * step;
  return { top, ticks: Array.from({ length: Math.round(top / step) + 1 }, (_, i) => i * step) };
}

/**
 * The chart's geometry at `size`, pure: a bar per category and hour, stacked in category order,
 * and the gridlines with their y-axis values.
 */
export function layoutHourlyChart(hours: HourBucket[], size: ChartSize = CHART_SIZES.wide) {
  const { pad } = size;
  const plotW = size.width - pad.left - pad.right;
  const plotH = size.height - pad.top - pad.bottom;
  const { top, ticks } = niceScale(Math.max(0, ...hours.map((h) => h.total)));
  const slot = plotW / Math.max(1, hours.length);
  const barW = Math.max(2, slot * 0.72);
  const yOf = (value: number) => pad.top + plotH - (value / top) * plotH;
  const bars: ChartBar[] = [];
  hours.forEach((hour, i) => {
    let stacked = 0;
    const known = CATEGORY_ORDER.filter((c) => hour.by_category[c]);
    const others = Object.keys(hour.by_category).filter((c) => !CATEGORY_ORDER.includes(c));
    for (const category of [...known, ...others]) {
      const count = hour.by_category[category] ?? 0;
      const y = yOf(stacked + count);
      bars.push({
        x: pad.left + i * slot + (slot - barW) / 2,
        y,
        width: barW,
        height: yOf(stacked) - y,
        category,
        count,
        hourStart: hour.hour_start,
      });
      stacked += count;
    }
  });
  return { bars, ticks: ticks.map((value) => ({ value, y: yOf(value) })), slot, plotH };
}

/** One drawing of the chart at `size`, with its y-axis labels and an hour label every `labelEvery` hours. */
function ChartDrawing({ hours, size, name }: { hours: HourBucket[]; size: ChartSize; name: string }) {
  const { bars, ticks, slot } = layoutHourlyChart(hours, size);
  const { pad, font } = size;
  const total = hours.reduce((n, h) => n + h.total, 0);
  return (
    <svg
      class={`bars ${name}`}
      viewBox={`0 0 ${size.width} ${size.height}`}
      role="img"
      aria-label={`Events stored per hour over the last 24 hours, ${total} in total`}
      preserveAspectRatio="xMidYMid meet"
    >
      <YTicks
        ticks={ticks.map((t) => ({ y: t.y, label: t.value }))}
        left={pad.left}
        right={size.width - pad.right}
        font={font}
      />
      {bars.map((b) => (
        <rect
          x={b.x}
          y={b.y}
          width={b.width}
          height={Math.max(0, b.height)}
          fill={CATEGORY_COLORS[b.category] ?? "#94a3b8"}
          rx="1.5"
        >
          <title>{`${hourLabel(b.hourStart)} UTC · ${CATEGORY_LABELS[b.category] ?? b.category}: ${b.count}`}</title>
        </rect>
      ))}
      {hours.map((h, i) =>
        i % size.labelEvery === 0 ? (
          <text
            x={pad.left + i * slot + slot / 2}
            y={size.height - 7}
            text-anchor="middle"
            font-size={font}
            fill="#6b7280"
          >
            {hourLabel(h.hour_start)}
          </text>
        ) : null,
      )}
    </svg>
  );
}

/**
 * Draws `layoutHourlyChart` twice, wide and narrow (CSS shows the one that fits), with a legend of
 * the categories present. Server-drawn SVG needs no script and passes a CSP without inline code.
 */
export function HourlyChart({ hours }: { hours: HourBucket[] }) {
  const present = CATEGORY_ORDER.filter((c) => hours.some((h) => h.by_category[c]));
  return (
    <figure class="chart">
      <div class="plot">
        <ChartDrawing hours={hours} size={CHART_SIZES.wide} name="wide" />
        <ChartDrawing hours={hours} size={CHART_SIZES.narrow} name="narrow" />
      </div>
      <figcaption>
        {present.length === 0 ? (
          <span class="muted">Nothing stored in the last 24 hours.</span>
        ) : (
          present.map((c) => <LegendEntry color={CATEGORY_COLORS[c] ?? "#94a3b8"} label={CATEGORY_LABELS[c] ?? c} />)
        )}
        <span class="muted right">Hours in UTC</span>
      </figcaption>
    </figure>
  );
}
