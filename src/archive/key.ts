/** Where an archived object lives in ARCHIVE, and which keys a client may ask for. */

/** Every object retention writes is under this prefix; nothing outside it is ever served. */
export const ARCHIVE_PREFIX = "events/";

const ID = "[0-9A-HJKMNP-TV-Z]{26}";
/** The keys retention writes: `events/<yyyy>/<mm>/<dd>/<first_id>-<last_id>.ndjson.gz`. */
export const ARCHIVE_KEY_PATTERN = new RegExp(`^events/\\d{4}/\\d{2}/\\d{2}/${ID}-${ID}\\.ndjson\\.gz$`);

/** The longest key a client may send; ours are 74 characters. */
const MAX_KEY_LENGTH = 256;

/**
 * yyyy-mm-dd of a time in ms, in UTC: the day an object is filed under.
 * @example utcDay(0) // "1970-01-01"
 */
export function utcDay(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

/**
 * The key of the object holding events `firstId` … `lastId`, all of which arrived on `day` (UTC).
 * The same chunk always gets the same key, so writing it again replaces it instead of adding one.
 * @example archiveKey("2026-03-01", "01J…A", "01J…Z") // "events/2026/03/01/01J…A-01J…Z.ndjson.gz"
 */
export function archiveKey(day: string, firstId: string, lastId: string): string {
  return `${ARCHIVE_PREFIX}${day.replaceAll("-", "/")}/${firstId}-${lastId}.ndjson.gz`;
}

/** What a key asked for is: one that could be ours, one outside the archive, or not a key at all. */
export type KeyCheck =
  | { kind: "archive"; key: string }
  | { kind: "outside"; key: string }
  | { kind: "malformed"; reason: string };

/**
 * Sorts a key a client sent: `malformed` (empty, too long, characters other than letters, digits,
 * `/ . _ -`, or an empty, `.` or `..` segment), `outside` (a sound key not under `events/`, or
 * under it but not of the shape retention writes: no such object can exist) or `archive`.
 */
export function checkArchiveKey(key: string): KeyCheck {
  if (key.length === 0 || key.length > MAX_KEY_LENGTH) {
    return { kind: "malformed", reason: `a key has 1 to ${MAX_KEY_LENGTH} characters` };
  }
  if (!/^[A-Za-z0-9/._-]+$/.test(key)) {
    return { kind: "malformed", reason: "a key has only letters, digits and / . _ -" };
  }
  if (key.split("/").some((segment) => segment === "" || segment === "." || segment === "..")) {
    return { kind: "malformed", reason: "a key has no empty, . or .. segment" };
  }
  return ARCHIVE_KEY_PATTERN.test(key) ? { kind: "archive", key } : { kind: "outside", key };
}
