/** The paged lists' query, pure: the opaque cursor, and the time bounds that become id bounds. */

import type { ListFilterColumn } from "../events/vocabulary";
import { encodeIdTime, isEventId } from "../lib/ids";
import type { EventListQuery } from "../store/event-reads";

/** A cursor's body: the last id of a page, base64url-encoded so clients treat it as opaque (`cursor.ts` signs it). */
export function encodeCursor(lastId: string): string {
  return btoa(lastId).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

/** The id inside a cursor, or null when it is not one this API handed out. */
export function decodeCursor(cursor: string): string | null {
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(cursor)) return null;
  let text: string;
  try {
    text = atob(cursor.replace(/-/g, "+").replace(/_/g, "/"));
  } catch {
    return null;
  }
  return isEventId(text) ? text : null;
}

const ISO_8601 = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:?\d{2})?)?$/i;
// Up to year 9999 in ms; larger numbers are typos (seconds * 1000 twice, for instance).
const MAX_MS = 253_402_300_799_999;

/**
 * A time bound given as milliseconds since the epoch (`1732780800000`) or ISO 8601
 * (`2024-11-28`, `2024-11-28T08:00:00Z`; without an offset it is UTC). Null when neither.
 */
export function parseTimeBound(text: string): number | null {
  const value = text.trim();
  if (/^\d{1,16}$/.test(value)) {
    const ms = Number(value);
    return ms <= MAX_MS ? ms : null;
  }
  if (!ISO_8601.test(value)) return null;
  const hasZone = /(?:Z|[+-]\d{2}:?\d{2})$/i.test(value) || !/[T ]/i.test(value);
  const ms = Date.parse(hasZone ? value : `${value.replace(" ", "T")}Z`);
  return Number.isFinite(ms) && ms >= 0 && ms <= MAX_MS ? ms : null;
}

/** A validated `ListEventsQuery`: the filters, the time bounds in ms, the cursor (an id once opened). */
export type ListParams = Partial<Record<ListFilterColumn, string>> & {
  since?: number;
  until?: number;
  cursor?: string;
  limit: number;
};

/**
 * The store query for one page of events: `since` inclusive, `until` exclusive, the cursor
 * exclusive. Ids sort by arrival time, so a time bound is an id prefix and every page stays a
 * walk down one `(filter, id)` index.
 */
export function toEventListQuery(params: ListParams): EventListQuery {
  const { since, until, cursor, limit, ...filters } = params;
  // The tighter of `until` and the cursor; ids compare as strings (same length, sortable alphabet).
  let maxId: string | undefined = until === undefined ? undefined : encodeIdTime(until);
  if (cursor !== undefined && (maxId === undefined || cursor < maxId)) maxId = cursor;
  return {
    filters,
    minId: since === undefined ? undefined : encodeIdTime(since),
    maxId,
    limit,
  };
}
