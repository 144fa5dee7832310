/** Structured logs: one JSON line per record, picked up by Workers observability. */
type Level = "debug" | "info" | "warn" | "error";

const RANK: Record<Level | "silent", number> = { debug: 0, info: 1, warn: 2, error: 3, silent: 4 };
let threshold: Level | "silent" = "info";

/**
 * Lowest level written. The test suite turns logs off (a queue consumer still logging after its
 * test file ended would break the runner); tests that inspect logs turn them back on.
 */
export function setLogLevel(level: Level | "silent"): void {
  threshold = level;
}

/** One record. Callers pass facts (ids, statuses, error text), never secrets, tokens or signatures. */
export function log(level: Level, msg: string, fields: Record<string, unknown> = {}): void {
  if (RANK[level] < RANK[threshold]) return;
  const line = JSON.stringify({ level, msg, ...fields });
  if (level === "error") console.error(line);
  else if (level === "warn") console.warn(line);
  else console.log(line);
}
