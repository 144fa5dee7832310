/**
 * Figures and tables for the benchmark: percentiles, ratios and fixed-width tables printed to
 * the terminal and pasted into BENCHMARKS.md as they are. Pure: no I/O.
 */

/** What a table cell may hold; it is printed with `String()`. */
export type Cell = string | number | null;

/** The nearest-rank percentile `p` (0-100) of `values`; null when there are none. */
export function percentile(values: readonly number[], p: number): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank] ?? null;
}

export function median(values: readonly number[]): number | null {
  return percentile(values, 50);
}

/** A number for a table cell: fixed decimals, or "-" when there is none. */
export function fmt(value: number | null | undefined, decimals = 0): string {
  return value === null || value === undefined || Number.isNaN(value) ? "-" : Number(value).toFixed(decimals);
}

/** A plain-text table: header row, a rule, then rows; numbers right-aligned, text left-aligned. */
export function table(headers: readonly string[], rows: readonly (readonly Cell[])[]): string {
  const cells = rows.map((row) => row.map((cell) => String(cell)));
  const widths = headers.map((h, i) => Math.max(h.length, ...cells.map((row) => row[i]?.length ?? 0)));
  const numeric = headers.map((_, i) => cells.every((row) => /^-?[\d.]+x?$|^-$/.test(row[i] ?? "")));
  const line = (row: readonly string[]) =>
    row
      .map((cell, i) => (numeric[i] ? cell.padStart(widths[i] ?? 0) : cell.padEnd(widths[i] ?? 0)))
      .join("  ")
      .trimEnd();
  return [line(headers), widths.map((w) => "-".repeat(w)).join("  "), ...cells.map(line)].join("\n");
}

/** Requests per second of one run, all a ratio needs. */
type Rate = { reqPerSec: number };

/** Ingest req/s over bare req/s, per round and over all rounds (sum over sum, so equal weights per second). */
export function ratios(rounds: readonly { ingest: Rate; bare: Rate }[]): { perRound: number[]; overall: number } {
  const perRound = rounds.map((r) => r.ingest.reqPerSec / r.bare.reqPerSec);
  const ingest = rounds.reduce((sum, r) => sum + r.ingest.reqPerSec, 0);
  const bare = rounds.reduce((sum, r) => sum + r.bare.reqPerSec, 0);
  return { perRound, overall: ingest / bare };
}

/**
 * What a plan reads, in words. SEARCH seeks into an index (equality or range). "SCAN events USING
 * INDEX" walks an index from one end: cheap when the statement stops at a LIMIT in index order,
 * a read of the whole index otherwise. "SCAN events" alone reads the whole table.
 */
export function howItReads(plan: string, sql: string): string {
  if (/SCAN events(?! USING)/.test(plan)) return "whole table";
  if (/SCAN events USING/.test(plan)) {
    return /\bLIMIT\b/i.test(sql) && !/GROUP BY/i.test(sql) ? "index walk to LIMIT" : "whole index";
  }
  return /SEARCH events/.test(plan) ? "index seek" : "-";
}
