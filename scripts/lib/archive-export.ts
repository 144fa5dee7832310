/**
 * The events of a period as plain NDJSON, from a running omisell-push: what retention archived
 * (`GET /api/archive`, each object fetched and decompressed) joined with what is still in D1
 * (`GET /api/archive/events`), one event a line, in id order, each event once. Web-standard
 * only (fetch, DecompressionStream), so `npm run export` runs it in Node and the round-trip test
 * in workerd.
 */
import { workerBase } from "./worker-url.ts";

const DAY_MS = 86_400_000;
/** The longest period one export covers (the API's own limit per request). */
export const EXPORT_PERIOD_MAX_DAYS = 31;

/** The fields of an archive line the export reads; the rest is written as it came. */
export type ExportLine = {
  event: { id: string; seq: number | null; received_at: number };
  archived_at: number | null;
  [field: string]: unknown;
};

/** A problem the user can fix (a flag, a period, a token): shown as is, without a stack. */
export class ExportError extends Error {}

/**
 * A period bound as ms: digits (ms since the epoch), an ISO day (`2026-03-01`: its 00:00 UTC, and
 * as `to` the whole day) or an ISO date-time. Throws ExportError naming `--from`/`--to`.
 */
export function parseExportBound(text: string, edge: "from" | "to"): number {
  const value = text.trim();
  if (/^\d{1,16}$/.test(value)) return Number(value);
  const day = /^\d{4}-\d{2}-\d{2}$/.test(value);
  const ms = Date.parse(day ? `${value}T00:00:00Z` : value);
  if (!/^\d{4}-\d{2}-\d{2}/.test(value) || !Number.isFinite(ms)) {
    throw new ExportError(`--${edge} "${text}": expected ms since the epoch, an ISO day (2026-03-01) or date-time`);
  }
  return day && edge === "to" ? ms + DAY_MS : ms;
}

/** [from, to) from the flags; throws ExportError when it is empty or longer than EXPORT_PERIOD_MAX_DAYS. */
export function exportPeriod(fromText: string, toText: string): { from: number; to: number } {
  const from = parseExportBound(fromText, "from");
  const to = parseExportBound(toText, "to");
  if (to <= from) throw new ExportError("--to must be later than --from");
  if (to - from > EXPORT_PERIOD_MAX_DAYS * DAY_MS) {
    throw new ExportError(
      `the period is ${Math.ceil((to - from) / DAY_MS)} days, longer than the ${EXPORT_PERIOD_MAX_DAYS} days one export covers: export it in parts`,
    );
  }
  return { from, to };
}

/**
 * Archived and live lines of the same events as one list in id order, each event once: when an
 * event is in both (archived while the export read it), the line with the higher `seq` (its later
 * state) wins, the live one when they are equal.
 */
export function mergeLines(archived: ExportLine[], live: ExportLine[]): { lines: ExportLine[]; duplicates: number } {
  const byId = new Map<string, ExportLine>();
  let duplicates = 0;
  for (const line of [...archived, ...live]) {
    const held = byId.get(line.event.id);
    if (held) duplicates += 1;
    if (!held || (line.event.seq ?? -1) >= (held.event.seq ?? -1)) byId.set(line.event.id, line);
  }
  const lines = [...byId.values()].sort((a, b) => (a.event.id < b.event.id ? -1 : 1));
  return { lines, duplicates };
}

export type ExportOptions = {
  url: string;
  token: string;
  from: number;
  to: number;
  /** Receives each line (JSON, no newline), in order. */
  write(line: string): void | Promise<void>;
  fetch?: (url: string, init: RequestInit) => Promise<Response>;
  log?: (line: string) => void;
};

export type ExportSummary = {
  events: number;
  fromArchive: number;
  fromD1: number;
  duplicates: number;
  objects: number;
};

type Listing = { objects: { key: string; href: string }[]; truncated: boolean };
type LivePage = { events: ExportLine[]; next_cursor: string | null };

/** An object's text: the worker sends it gzip-encoded or not, and a client may or may not decode it. */
async function textOf(res: Response): Promise<string> {
  const bytes = new Uint8Array(await res.arrayBuffer());
  if (bytes[0] !== 0x1f || bytes[1] !== 0x8b) return new TextDecoder().decode(bytes);
  const plain = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("gzip"));
  return new Response(plain).text();
}

function parseLines(text: string): ExportLine[] {
  return text
    .split("\n")
    .filter((line) => line.trim() !== "")
    .map((line) => JSON.parse(line) as ExportLine);
}

/**
 * Writes the events that arrived in [from, to), day by day: first the day's events still in D1,
 * then the day's archived objects (in that order, so an event archived meanwhile is in the second
 * read if it left the first), merged by `mergeLines`. Only one day is held in memory.
 */
export async function exportEvents(options: ExportOptions): Promise<ExportSummary> {
  const base = workerBase(options.url);
  const get = async (path: string, what: string) => {
    const res = await (options.fetch ?? fetch)(`${base}${path}`, {
      headers: { authorization: `Bearer ${options.token}` },
    });
    if (res.ok) return res;
    const body = (await res.text()).slice(0, 300);
    throw new ExportError(`${what} answered ${res.status}: ${body}`);
  };
  const summary: ExportSummary = { events: 0, fromArchive: 0, fromD1: 0, duplicates: 0, objects: 0 };
  for (let dayStart = Math.floor(options.from / DAY_MS) * DAY_MS; dayStart < options.to; dayStart += DAY_MS) {
    const from = Math.max(options.from, dayStart);
    const to = Math.min(options.to, dayStart + DAY_MS);
    const live: ExportLine[] = [];
    let cursor: string | null = null;
    do {
      const query: string = `from=${from}&to=${to}&limit=500${cursor ? `&cursor=${cursor}` : ""}`;
      const page = (await (await get(`/api/archive/events?${query}`, "GET /api/archive/events")).json()) as LivePage;
      live.push(...page.events);
      cursor = page.next_cursor;
    } while (cursor);
    const listing = (await (
      await get(`/api/archive?from=${dayStart}&to=${dayStart + DAY_MS}`, "GET /api/archive")
    ).json()) as Listing;
    if (listing.truncated)
      throw new ExportError(`the archive lists too many objects for ${new Date(dayStart).toISOString()}`);
    const archived: ExportLine[] = [];
    for (const object of listing.objects) {
      archived.push(...parseLines(await textOf(await get(object.href, `GET ${object.href}`))));
    }
    const inPeriod = (line: ExportLine) => line.event.received_at >= from && line.event.received_at < to;
    const { lines, duplicates } = mergeLines(archived.filter(inPeriod), live.filter(inPeriod));
    for (const line of lines) await options.write(JSON.stringify(line));
    const fromArchive = lines.filter((line) => line.archived_at !== null).length;
    summary.events += lines.length;
    summary.fromArchive += fromArchive;
    summary.fromD1 += lines.length - fromArchive;
    summary.duplicates += duplicates;
    summary.objects += listing.objects.length;
    options.log?.(`${new Date(dayStart).toISOString().slice(0, 10)}: ${lines.length} events (${fromArchive} archived)`);
  }
  return summary;
}
