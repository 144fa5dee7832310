/** Pieces both charts draw the same way: an hour's label, the y-axis grid with its values, a legend entry. */

/** `08:00`: the UTC hour a bucket starts at. */
export const hourLabel = (ms: number) => `${new Date(ms).toISOString().slice(11, 13)}:00`;

/** The y-axis: a grid line across the plot for each tick, its label right-aligned left of it. */
export function YTicks(props: {
  ticks: readonly { y: number; label: string | number }[];
  left: number;
  right: number;
  font: number;
}) {
  return (
    <>
      {props.ticks.map((t) => (
        <g class="y-tick">
          <line x1={props.left} x2={props.right} y1={t.y} y2={t.y} stroke="#e5e7eb" stroke-width="1" />
          <text x={props.left - 5} y={t.y + props.font / 3} text-anchor="end" font-size={props.font} fill="#6b7280">
            {t.label}
          </text>
        </g>
      ))}
    </>
  );
}

/** One entry of a chart's legend: a swatch of `color` and its words. */
export function LegendEntry({ color, label }: { color: string; label: string }) {
  return (
    <span class="legend">
      <svg width="10" height="10" aria-hidden="true">
        <rect width="10" height="10" rx="2" fill={color} />
      </svg>
      {label}
    </span>
  );
}
