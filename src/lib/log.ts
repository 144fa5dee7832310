/**
 * Structured logs: one JSON line per record, picked up by Workers observability. Callers pass
 * facts (ids, statuses, error text), never secrets, tokens or signatures.
 */
type Level = "debug" | "info" | "warn" | "error";

export function log(level: Level, msg: string, fields: Record<string, unknown> = {}): void {
  const line = JSON.stringify({ level, msg, ...fields });
  if (level === "error") console.error(line);
  else if (level === "warn") console.warn(line);
  else console.log(line);
}
