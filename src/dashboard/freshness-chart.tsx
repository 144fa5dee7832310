/** The overview's freshness chart: p50 and p95 from arrival to settled per hour, inline SVG on a log scale. */
import type { Freshness } from "../read-model/freshness";
import { hourLabel, LegendEntry, YTicks } from "./chart-parts";
import { formatCount } from "./format";

const P50_COLOR = "#1d4ed8";
const P95_COLOR = "#93c5fd";
const WIDTH = 1000;
const HEIGHT = 200;
const PAD = { top: 12, right: 8, bottom: 26, left: 56 };
const TICKS = [
  [1, "1 s"],
  [10, "10 s"],
  [60, "1 min"],
  [600, "10 min"],
  [3600, "1 h"],
  [86_400, "1 d"],
] as const;
const MAX_SECONDS = 86_400;

type Hour = Freshness["hourly"][number];

/** A duration in seconds as people say it: "8 s", "2 min", "1.5 h". */
export function formatSeconds(seconds: number | null): string {
  if (seconds === null) return "—";
  if (seconds < 120) return `${seconds} s`;
  if (seconds < 7200) return `${Math.round(seconds / 60)} min`;
  if (seconds < 172_800) return `${Math.round((seconds / 3600) * 10) / 10} h`;
  return `${Math.round(seconds / 86_400)} d`;
}

/** The chart's geometry, pure: a p95 bar and a narrower p50 bar per hour with settled events, on a log scale. */
export function layoutFreshnessChart(hours: readonly Hour[]) {
  const plotW = WIDTH - PAD.left - PAD.right;
  const plotH = HEIGHT - PAD.top - PAD.bottom;
  const yOf = (seconds: number) =>
    PAD.top + plotH - (Math.log10(Math.min(MAX_SECONDS, Math.max(1, seconds))) / Math.log10(MAX_SECONDS)) * plotH;
  const slot = plotW / Math.max(1, hours.length);
  const bottom = PAD.top + plotH;
  const bar = (i: number, seconds: number, share: number) => {
    const width = Math.max(2, slot * share);
    // Even a p of 1 s shows: a bar at least 2 units tall.
    const y = Math.min(yOf(seconds), bottom - 2);
    return { x: PAD.left + i * slot + (slot - width) / 2, y, width, height: bottom - y };
  };
  const bars = hours.flatMap((hour, i) =>
    hour.p95_seconds === null || hour.p50_seconds === null
      ? []
      : [
          { ...bar(i, hour.p95_seconds, 0.72), kind: "p95" as const, hour },
          { ...bar(i, hour.p50_seconds, 0.36), kind: "p50" as const, hour },
        ],
  );
  return { bars, ticks: TICKS.map(([seconds, label]) => ({ label, y: yOf(seconds) })), slot };
}

/** Draws `layoutFreshnessChart`, with the last hour's figures as its caption. */
export function FreshnessChart({ freshness }: { freshness: Freshness }) {
  const { bars, ticks, slot } = layoutFreshnessChart(freshness.hourly);
  const last = freshness.last_hour;
  return (
    <figure class="chart">
      <div class="plot">
        <svg
          class="bars"
          viewBox={`0 0 ${WIDTH} ${HEIGHT}`}
          role="img"
          aria-label={`Time from push to settled per hour over the last 24 hours; last hour p95 ${formatSeconds(last.p95_seconds)}`}
          preserveAspectRatio="xMidYMid meet"
        >
          <YTicks ticks={ticks} left={PAD.left} right={WIDTH - PAD.right} font={12} />
          {bars.map((b) => (
            <rect
              x={b.x}
              y={b.y}
              width={b.width}
              height={Math.max(0, b.height)}
              fill={b.kind === "p95" ? P95_COLOR : P50_COLOR}
              rx="1.5"
              data-kind={b.kind}
            >
              <title>{`${hourLabel(b.hour.hour_start)} UTC · ${b.kind} ${formatSeconds(b.kind === "p95" ? b.hour.p95_seconds : b.hour.p50_seconds)} · ${formatCount(b.hour.settled)} settled`}</title>
            </rect>
          ))}
          {freshness.hourly.map((h, i) =>
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
        <LegendEntry color={P50_COLOR} label="p50" />
        <LegendEntry color={P95_COLOR} label="p95" />
        <span class="muted right" data-freshness-last-hour>
          {last.settled === 0
            ? "Nothing settled in the last hour."
            : `Last hour: p50 ${formatSeconds(last.p50_seconds)} · p95 ${formatSeconds(last.p95_seconds)} · p99 ${formatSeconds(last.p99_seconds)} · ${formatCount(last.settled)} settled`}
        </span>
      </figcaption>
    </figure>
  );
}
