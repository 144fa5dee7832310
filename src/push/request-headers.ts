/** The request headers a push is stored with, to debug what Omisell really sends. Pure. */

/** Headers kept by exact (lower-case) name. */
const KEPT_NAMES = new Set(["content-type", "user-agent", "seller-id", "country", "request-id", "x-request-id"]);

/** Kept by pattern: Omisell's own headers, and any request id (`x-amzn-request-id`, ...). */
const KEPT_PATTERNS = [/^x-omisell-/, /-request-id$/];

/**
 * Never kept, whatever the lists above say: a name that could carry a credential. Authorization
 * holds the push signature (or, in the static scheme, the secret itself).
 */
const REFUSED = /auth|cookie|secret|token|signature|password|key|credential|session/;

export const MAX_HEADER_VALUE = 256;
export const MAX_KEPT_HEADERS = 16;
/** The most characters of names and values together. */
export const MAX_HEADERS_TOTAL = 2048;

export function isKeptHeader(name: string): boolean {
  const lower = name.toLowerCase();
  if (REFUSED.test(lower)) return false;
  return KEPT_NAMES.has(lower) || KEPT_PATTERNS.some((pattern) => pattern.test(lower));
}

/**
 * The kept headers as an object of lower-case names to values (each cut at MAX_HEADER_VALUE),
 * in name order, stopping before MAX_KEPT_HEADERS or MAX_HEADERS_TOTAL would be passed; null
 * when none is kept.
 */
/**
 * An allow-list of headers that say who sent the push and how (content type, user agent, seller,
 * country, request ids, Omisell's own `x-omisell-*`), never a credential. Each value and the whole
 * are capped, so a hostile sender cannot grow a row with headers. Null when none is kept.
 */
export function keptHeaders(headers: Headers): Record<string, string> | null {
  const kept: [string, string][] = [];
  for (const [name, value] of headers) {
    if (isKeptHeader(name)) kept.push([name.toLowerCase(), value.slice(0, MAX_HEADER_VALUE)]);
  }
  kept.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const out: Record<string, string> = {};
  let total = 0;
  let count = 0;
  for (const [name, value] of kept) {
    if (count >= MAX_KEPT_HEADERS || total + name.length + value.length > MAX_HEADERS_TOTAL) break;
    out[name] = value;
    total += name.length + value.length;
    count += 1;
  }
  return count > 0 ? out : null;
}
