/** Time-sortable ids (a ULID layout) for every row the worker creates: events, deliveries, runs, replays. */
const ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
const TIME_LEN = 10;
const RANDOM_LEN = 16;

/**
 * The 10-character time prefix of every id generated at `ms`: sorting ids sorts by creation time,
 * so a time bound is a prefix bound on the index.
 */
export function encodeIdTime(ms: number): string {
  let rest = Math.max(0, Math.floor(ms));
  let out = "";
  for (let i = 0; i < TIME_LEN; i++) {
    out = ALPHABET[rest % 32] + out;
    rest = Math.floor(rest / 32);
  }
  return out;
}

/**
 * A new id created at `ms`: 10 Crockford base32 characters of the time, then 16 random ones.
 * @example newUlid(Date.now()) // "01JF3Q0Z1X…" (26 characters)
 */
export function newUlid(ms: number): string {
  const bytes = crypto.getRandomValues(new Uint8Array(RANDOM_LEN));
  let out = encodeIdTime(ms);
  for (const b of bytes) out += ALPHABET[b & 31];
  return out;
}

/** Random characters of an id made in a batch: the rest of its 16 is the row's position. */
const BATCH_RANDOM_LEN = 6;

/**
 * The first 16 characters of the ids of rows made together at `ms` (a walk's deliveries): the
 * time, then 6 random characters. The store appends each row's position in 10 digits (a change
 * feed `seq`), so the ids of one batch sort in that order and still read as ids made at `ms`.
 * @example batchIdPrefix(Date.now()) + "0000000042" // 26 characters, like newUlid's
 */
export function batchIdPrefix(ms: number): string {
  const bytes = crypto.getRandomValues(new Uint8Array(BATCH_RANDOM_LEN));
  let out = encodeIdTime(ms);
  for (const b of bytes) out += ALPHABET[b & 31];
  return out;
}

/** A whole event id: 26 characters of Crockford base32 (no I, L, O, U). */
export const ID_PATTERN = /^[0-9A-HJKMNP-TV-Z]{26}$/;

export function isEventId(value: string): boolean {
  return ID_PATTERN.test(value);
}
