/** The one result shape for an outcome that can fail in a way the caller acts on. */
/** The value, or a tagged reason saying which failure it was (so a log or an answer can name it). */
export type Result<T, R> = { ok: true; value: T } | { ok: false; reason: R };

export function ok<T>(value: T): { ok: true; value: T } {
  return { ok: true, value };
}

export function fail<R>(reason: R): { ok: false; reason: R } {
  return { ok: false, reason };
}
