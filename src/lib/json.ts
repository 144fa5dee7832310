/** Parsing JSON that may not be JSON (stored bodies, answers from other services). */

/**
 * `text` parsed as JSON, or `fallback` when it is not JSON.
 * @example parseJsonOr('{"a":1}', null) // {a: 1}
 * @example parseJsonOr("not json", "not json") // "not json"
 */
export function parseJsonOr<F>(text: string, fallback: F): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return fallback;
  }
}
