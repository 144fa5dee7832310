/** How an event row is kept in D1 and read back, encoded and decoded here and nowhere else. */
import { EVENT_COLUMNS, type EventRow, NEW_EVENT_COLUMNS, type NewEvent, SUMMARY_COLUMNS } from "../events/vocabulary";

/** A row as D1 returns it. */
/**
 * An event row as D1 holds it: two values are stored differently from how the code sees them,
 * `signature_valid` (1 / 0 / NULL) and `headers` (JSON text). The SELECT lists come from the one
 * column list of the vocabulary.
 */
export type StoredEventRow = Omit<EventRow, "signature_valid" | "headers"> & {
  signature_valid: number | null;
  headers: string | null;
};
export type StoredEventSummary = Omit<StoredEventRow, "payload" | "headers">;

/** `SELECT` list of a whole row, and of a row without its payload and headers (lists, timelines). */
export const EVENT_SELECT = EVENT_COLUMNS.join(", ");
export const SUMMARY_SELECT = SUMMARY_COLUMNS.join(", ");

export function encodeSignatureValid(value: boolean | null): number | null {
  return value === null ? null : value ? 1 : 0;
}

export function decodeSignatureValid(value: number | null): boolean | null {
  return value === null ? null : value === 1;
}

export function encodeHeaders(value: Record<string, string> | null | undefined): string | null {
  return value && Object.keys(value).length > 0 ? JSON.stringify(value) : null;
}

/** The stored JSON object of string values, or null (absent, or not such an object). */
export function decodeHeaders(value: string | null): Record<string, string> | null {
  if (value === null) return null;
  try {
    const parsed: unknown = JSON.parse(value);
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) return null;
    return Object.fromEntries(
      Object.entries(parsed).filter((entry): entry is [string, string] => typeof entry[1] === "string"),
    );
  } catch {
    return null;
  }
}

/** Decodes a stored summary (or any row with `signature_valid`). */
export function decodeEventRow<T extends { signature_valid: number | null }>(
  row: T,
): Omit<T, "signature_valid"> & { signature_valid: boolean | null } {
  return { ...row, signature_valid: decodeSignatureValid(row.signature_valid) };
}

/** Decodes a whole stored row, headers included. */
export function decodeWholeEventRow(row: StoredEventRow): EventRow {
  return { ...decodeEventRow(row), headers: decodeHeaders(row.headers) };
}

/** The INSERT of a new event: its column list, `?n` placeholders, and the values to bind in order. */
export const INSERT_EVENT_COLUMNS = NEW_EVENT_COLUMNS.join(", ");
export const INSERT_EVENT_PLACEHOLDERS = NEW_EVENT_COLUMNS.map((_, i) => `?${i + 1}`).join(", ");

export function insertValues(row: NewEvent): (string | number | null)[] {
  return NEW_EVENT_COLUMNS.map((column) => {
    switch (column) {
      case "signature_valid":
        return encodeSignatureValid(row.signature_valid);
      case "signature_scheme":
        return row.signature_scheme ?? null;
      case "source":
        return row.source ?? "push";
      case "headers":
        return encodeHeaders(row.headers);
      case "last_error":
        return row.last_error ?? null;
      case "processed_at":
        return row.processed_at ?? null;
      default:
        return row[column];
    }
  });
}
