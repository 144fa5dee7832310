/** Durations in milliseconds, as the tests write times (`now - 20 * MINUTE`). */
export const MINUTE = 60_000;
export const HOUR = 60 * MINUTE;
export const DAY = 24 * HOUR;
