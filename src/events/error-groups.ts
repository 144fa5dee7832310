/**
 * Failed events grouped by what went wrong: an error's kind (`HTTP 404 from Omisell`, `network
 * error`, …) and its message with ids, order numbers and other numbers taken out, so a thousand
 * failures of one cause read as one line. Pure.
 */

/** How many of the most recent failures are grouped: a bounded read, said on every page that shows groups. */
export const GROUPED_FAILURES = 500;

/** What stands in for an id, an order number or any other token with a digit in it. */
export const PLACEHOLDER = "#";

/** An error reduced to what it says about the cause; `key` names the group (8 hex digits). */
export type NormalisedError = { kind: string; message: string; key: string };

/** The kinds of `last_error` the follow-up writes (omisell/client.ts), each with what to keep of it. */
const KNOWN_KINDS: { pattern: RegExp; kind: (match: RegExpMatchArray) => string }[] = [
  { pattern: /^HTTP (\d{3}) from Omisell/, kind: (m) => `HTTP ${m[1]} from Omisell` },
  { pattern: /^Omisell error (\d{1,6})\b/, kind: (m) => `Omisell error ${m[1]}` },
  { pattern: /^Omisell error/, kind: () => "Omisell error" },
  { pattern: /^network error/i, kind: () => "network error" },
  { pattern: /^malformed answer from Omisell/, kind: () => "malformed answer from Omisell" },
  { pattern: /^waiting for Omisell API budget/, kind: () => "waiting for Omisell API budget" },
];

const ULID = /\b[0-9A-HJKMNP-TV-Z]{26}\b/g;
const UUID = /\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b/gi;
/** A word with a digit in it: an order or shipment number (OM2411280001, SH-1), a count, a time, a port. */
const WITH_DIGIT = /[A-Za-z_]*\d[\w.-]*/g;
const MAX_MESSAGE = 200;

/** Ids, order numbers and numbers out of `text`, each as PLACEHOLDER; runs of them and of spaces collapsed. */
export function stripIdentifiers(text: string): string {
  return text
    .replace(ULID, PLACEHOLDER)
    .replace(UUID, PLACEHOLDER)
    .replace(WITH_DIGIT, PLACEHOLDER)
    .replace(/#(?:[\s:./-]*#)+/g, PLACEHOLDER)
    .replace(/\s+/g, " ")
    .trim();
}

/** FNV-1a (32 bits) in hex: a short, stable name for a group, not a secret. */
function fnv1a(text: string): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash.toString(16).padStart(8, "0");
}

/**
 * The kind and the stripped message of a `last_error`. A known kind keeps its status code; any
 * other error's kind is the text before its first colon (stripped too), else `error`.
 * @example normaliseError('HTTP 404 from Omisell: {"detail":"Order OM2411280001 not found"}')
 * // { kind: "HTTP 404 from Omisell", message: '{"detail":"Order # not found"}', key: "…" }
 */
export function normaliseError(lastError: string | null): NormalisedError {
  const text = (lastError ?? "").trim();
  if (text === "") return keyed("no error recorded", "");
  for (const { pattern, kind } of KNOWN_KINDS) {
    const match = text.match(pattern);
    if (match) return keyed(kind(match), text.slice(match[0].length));
  }
  const colon = text.indexOf(":");
  if (colon > 0 && colon <= 60) return keyed(stripIdentifiers(text.slice(0, colon)) || "error", text.slice(colon + 1));
  return keyed("error", text);
}

function keyed(kind: string, rest: string): NormalisedError {
  const message = stripIdentifiers(rest.replace(/^[\s:]+/, "")).slice(0, MAX_MESSAGE);
  return { kind, message, key: fnv1a(`${kind}\n${message}`) };
}

/** What a failure needs for grouping: its id, error, and when it failed (else when it arrived). */
export type GroupableFailure = {
  id: string;
  last_error: string | null;
  processed_at: number | null;
  received_at: number;
};

/** One group: its error, how many failures, their first and last time, a few of them, every id. */
export type FailureGroup<T extends GroupableFailure> = NormalisedError & {
  count: number;
  first_seen: number;
  last_seen: number;
  /** The newest `samples` failures of the group. */
  samples: T[];
  ids: string[];
};

const failedAt = (failure: GroupableFailure) => failure.processed_at ?? failure.received_at;

/**
 * `failures` grouped by normalised error, the largest group first (then the most recent).
 * Each failure is in exactly one group; `samples` keeps the newest few of each.
 */
export function groupFailures<T extends GroupableFailure>(failures: readonly T[], samples = 3): FailureGroup<T>[] {
  const groups = new Map<string, FailureGroup<T>>();
  const newestFirst = [...failures].sort((a, b) => failedAt(b) - failedAt(a));
  for (const failure of newestFirst) {
    const error = normaliseError(failure.last_error);
    const at = failedAt(failure);
    let group = groups.get(error.key);
    if (!group) {
      group = { ...error, count: 0, first_seen: at, last_seen: at, samples: [], ids: [] };
      groups.set(error.key, group);
    }
    group.count += 1;
    group.first_seen = Math.min(group.first_seen, at);
    group.last_seen = Math.max(group.last_seen, at);
    group.ids.push(failure.id);
    if (group.samples.length < samples) group.samples.push(failure);
  }
  return [...groups.values()].sort((a, b) => b.count - a.count || b.last_seen - a.last_seen);
}
