/** The overview's hourly chart of pushes by category: stacked bars of inline SVG, drawn on the server. */
import { CATEGORIES } from "../events/catalogue";
import { CATEGORY_COLORS, CATEGORY_LABELS } from "./format";

/** One hour of the stats' `hourly`: what the chart draws. */
export type HourBucket = { hour_start: number; total: number; by_category: Record<string, number> };

const WIDTH = 1000;
const HEIGHT = 230;
const PAD = { top: 12, right: 8, bottom: 26, left: 36 };
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

/** The chart's geometry, pure: a bar per category and hour, stacked in category order, and the gridlines. */
export function layoutHourlyChart(hours: HourBucket[]) {
  const plotW = WIDTH - PAD.left - PAD.right;
  const plotH = HEIGHT - PAD.top - PAD.bottom;
  const { top, ticks } = niceScale(Math.max(0, ...hours.map((h) => h.total)));
  const slot = plotW / Math.max(1, hours.length);
  const barW = Math.max(2, slot * 0.72);
  const yOf = (value: number) => PAD.top + plotH - (value / top) * plotH;
  const bars: ChartBar[] = [];
  hours.forEach((hour, i) => {
    let stacked = 0;
    const known = CATEGORY_ORDER.filter((c) => hour.by_category[c]);
    const others = Object.keys(hour.by_category).filter((c) => !CATEGORY_ORDER.includes(c));
    for (const category of [...known, ...others]) {
      const count = hour.by_category[category] ?? 0;
      const y = yOf(stacked + count);
      bars.push({
        x: PAD.left + i * slot + (slot - barW) / 2,
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

const hourLabel = (ms: number) => `${new Date(ms).toISOString().slice(11, 13)}:00`;

/**
 * Draws `layoutHourlyChart` with a legend of the categories present. Server-drawn SVG needs no
 * script and passes a CSP without inline code.
 */
export function HourlyChart({ hours }: { hours: HourBucket[] }) {
  const { bars, ticks, slot } = layoutHourlyChart(hours);
  const present = CATEGORY_ORDER.filter((c) => hours.some((h) => h.by_category[c]));
  const total = hours.reduce((n, h) => n + h.total, 0);
  return (
    <figure class="chart">
      <div class="plot">
        <svg
          class="bars"
          viewBox={`0 0 ${WIDTH} ${HEIGHT}`}
          role="img"
          aria-label={`Pushes per hour over the last 24 hours, ${total} in total`}
          preserveAspectRatio="xMidYMid meet"
        >
          {ticks.map((t) => (
            <g>
              <line x1={PAD.left} x2={WIDTH - PAD.right} y1={t.y} y2={t.y} stroke="#e5e7eb" stroke-width="1" />
              <text x={PAD.left - 6} y={t.y + 4} text-anchor="end" font-size="12" fill="#6b7280">
                {t.value}
              </text>
            </g>
          ))}
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
            i % 3 === 0 ? (
              <text
                x={PAD.left + i * slot + slot / 2}
                y={HEIGHT - 8}
                text-anchor="middle"
                font-size="12"
                fill="#6b7280"
              >
                {hourLabel(h.hour_start)}
              </text>
            ) : null,
          )}
        </svg>
      </div>
      <figcaption>
        {present.length === 0 ? (
          <span class="muted">No pushes in the last 24 hours.</span>
        ) : (
          present.map((c) => (
            <span class="legend">
              <svg width="10" height="10" aria-hidden="true">
                <rect width="10" height="10" rx="2" fill={CATEGORY_COLORS[c]} />
              </svg>
              {CATEGORY_LABELS[c] ?? c}
            </span>
          ))
        )}
        <span class="muted right">Hours in UTC</span>
      </figcaption>
    </figure>
  );
}
