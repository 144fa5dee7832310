/**
 * How an event row is kept in D1 and read back: the SELECT lists come from the one column list of
 * the vocabulary, and the only value stored differently from how the code sees it,
 * `signature_valid`, is encoded (1 / 0 / NULL) and decoded here and nowhere else.
 */
import { EVENT_COLUMNS, type EventRow, NEW_EVENT_COLUMNS, type NewEvent, SUMMARY_COLUMNS } from "../events/vocabulary";

/** A row as D1 returns it. */
export type StoredEventRow = Omit<EventRow, "signature_valid"> & { signature_valid: number | null };
export type StoredEventSummary = Omit<StoredEventRow, "payload">;

/** `SELECT` list of a whole row, and of a row without its payload (lists, timelines). */
export const EVENT_SELECT = EVENT_COLUMNS.join(", ");
export const SUMMARY_SELECT = SUMMARY_COLUMNS.join(", ");

export function encodeSignatureValid(value: boolean | null): number | null {
  return value === null ? null : value ? 1 : 0;
}

export function decodeSignatureValid(value: number | null): boolean | null {
  return value === null ? null : value === 1;
}

export function decodeEventRow<T extends { signature_valid: number | null }>(
  row: T,
): Omit<T, "signature_valid"> & { signature_valid: boolean | null } {
  return { ...row, signature_valid: decodeSignatureValid(row.signature_valid) };
}

/** The INSERT of a new event: its column list, `?n` placeholders, and the values to bind in order. */
export const INSERT_EVENT_COLUMNS = NEW_EVENT_COLUMNS.join(", ");
export const INSERT_EVENT_PLACEHOLDERS = NEW_EVENT_COLUMNS.map((_, i) => `?${i + 1}`).join(", ");

export function insertValues(row: NewEvent): (string | number | null)[] {
  return NEW_EVENT_COLUMNS.map((column) =>
    column === "signature_valid" ? encodeSignatureValid(row.signature_valid) : row[column],
  );
}
