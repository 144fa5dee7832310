/** How the dashboard writes times, statuses and categories. Pure functions. */

/** `2024-11-28 08:00:12` in UTC: the dashboard shows every time in UTC, as the API does in ms. */
export function formatTime(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return "—";
  return new Date(ms).toISOString().replace("T", " ").slice(0, 19);
}

/** "3 min ago", "2 h ago", "5 d ago": rough on purpose, the exact time is next to it. */
export function formatAgo(ms: number | null | undefined, now: number): string {
  if (ms === null || ms === undefined) return "never";
  const s = Math.max(0, Math.round((now - ms) / 1000));
  if (s < 60) return `${s} s ago`;
  if (s < 3600) return `${Math.floor(s / 60)} min ago`;
  if (s < 86_400) return `${Math.floor(s / 3600)} h ago`;
  return `${Math.floor(s / 86_400)} d ago`;
}

/** `12,345`: counts with thousands separators. */
export function formatCount(n: number): string {
  return n.toLocaleString("en-US");
}

/** Each category's colour, the same in the chart, its legend and the event list. */
export const CATEGORY_COLORS: Record<string, string> = {
  order: "#2563eb",
  shipment: "#0d9488",
  return: "#d97706",
  sale_invoice: "#7c3aed",
  unknown: "#64748b",
  invalid: "#dc2626",
};

/** Each category as people read it. */
export const CATEGORY_LABELS: Record<string, string> = {
  order: "Order",
  shipment: "Shipment",
  return: "Return",
  sale_invoice: "Sale invoice",
  unknown: "Unknown",
  invalid: "Invalid",
};

/** `1.4 MB`: a size in bytes, in the largest unit that keeps it at or above 1 (decimal units). */
export function formatBytes(bytes: number): string {
  const units = ["B", "kB", "MB", "GB", "TB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit += 1;
  }
  return `${unit === 0 ? value : value.toFixed(value >= 100 ? 0 : 1)} ${units[unit]}`;
}
