/**
 * The archive as the API and the dashboard show it: a period's objects, one object's bytes, and the
 * period parameters they take (ms or ISO days, at most ARCHIVE_PERIOD_MAX_DAYS long).
 */
import { z } from "zod";
import { archiveBucketOf } from "../archive/bucket";
import { gunzipStream } from "../archive/gzip";
import { utcDay } from "../archive/key";
import { type ArchiveObjectRow, getArchiveObject, listArchiveObjects } from "../store/archive";
import { parseTimeBound } from "./event-query";
import { columnsOf, parsedString, shownFields } from "./fields";

const DAY_MS = 86_400_000;
/** The longest period one listing or one page of live events may cover (the export asks day by day). */
export const ARCHIVE_PERIOD_MAX_DAYS = 31;
/** The most objects one listing returns; `truncated` says when a period holds more. */
const LISTING_LIMIT = 10_000;

/**
 * A period bound as ms: digits (ms since the epoch), an ISO 8601 date-time, or an ISO day. A day as
 * `from` starts at its 00:00 UTC; as `to` it includes the whole day (the bound is the next day's start).
 * @example parsePeriodBound("2026-03-01", "to") // 1772409600000 (2026-03-02T00:00:00Z)
 */
export function parsePeriodBound(text: string, edge: "from" | "to"): number | null {
  const ms = parseTimeBound(text);
  if (ms === null) return null;
  return edge === "to" && /^\d{4}-\d{2}-\d{2}$/.test(text.trim()) ? ms + DAY_MS : ms;
}

const bound = (edge: "from" | "to", description: string) =>
  parsedString((text) => parsePeriodBound(text, edge), "expected ms since the epoch, an ISO day or an ISO date-time")
    .meta({ description, examples: [edge === "from" ? "2026-03-01" : "2026-03-07"] })
    .optional();

/** `from` and `to` of an archive query; either may be left out. */
export const periodFields = {
  from: bound("from", "Start, inclusive: ms, ISO 8601, or a day (its 00:00 UTC). Default: `to` − 31 days."),
  to: bound("to", "End, exclusive: ms or ISO 8601; a day includes the whole day. Default: now."),
};

/** Adds the period's own checks to a query schema: `to` after `from`, at most 31 days apart. */
export function checkPeriod(query: { from?: number | undefined; to?: number | undefined }, ctx: z.RefinementCtx) {
  if (query.from === undefined || query.to === undefined) return;
  if (query.to <= query.from) ctx.addIssue({ code: "custom", path: ["to"], message: "must be later than from" });
  else if (query.to - query.from > ARCHIVE_PERIOD_MAX_DAYS * DAY_MS) {
    ctx.addIssue({
      code: "custom",
      path: ["to"],
      message: `the period is longer than ${ARCHIVE_PERIOD_MAX_DAYS} days, the most one request covers: ask for it in parts`,
    });
  }
}

/** The period of a validated query at `now`: `to` defaults to now (at most 31 days after `from`), `from` to 31 days before `to`. */
export function periodOf(query: { from?: number | undefined; to?: number | undefined }, now: number) {
  const span = ARCHIVE_PERIOD_MAX_DAYS * DAY_MS;
  const to = query.to ?? (query.from === undefined ? now : Math.min(now, query.from + span));
  return { from: query.from ?? to - span, to: Math.max(to, (query.from ?? 0) + 1) };
}

/** `GET /api/archive`'s query. */
export const ArchiveListQuery = z.object(periodFields).strict().superRefine(checkPeriod);

/** A written object, as listed: where it is and what it holds. */
export const ArchiveObject = z
  .object({
    ...columnsOf<ArchiveObjectRow, "state" | "run_id">()({
      key: z.string().meta({ description: "events/<yyyy>/<mm>/<dd>/<first_id>-<last_id>.ndjson.gz" }),
      day: z.string().meta({ description: "yyyy-mm-dd (UTC) its events arrived." }),
      first_id: z.string(),
      last_id: z.string(),
      count: z.int().meta({ description: "Events (lines) in it." }),
      bytes: z.int().meta({ description: "Its size as stored (gzip)." }),
      created_at: z.int().meta({ description: "ms; when retention wrote it." }),
    }),
    href: z.string().meta({ description: "Its path under this API (the key URL-encoded)." }),
  })
  .meta({ id: "ArchiveObject" });
export type ArchiveObject = z.infer<typeof ArchiveObject>;

/** A period's objects, oldest day first. */
export const ArchiveListing = z
  .object({
    archive: z.enum(["on", "off"]).meta({ description: "Whether the ARCHIVE binding is set: retention archives now." }),
    from: z.int(),
    to: z.int(),
    objects: z.array(ArchiveObject).meta({ description: "Objects filed under the period's days, by day then id." }),
    truncated: z.boolean().meta({ description: `True when the period holds more than ${LISTING_LIMIT} objects.` }),
  })
  .meta({ id: "ArchiveListing" });
export type ArchiveListing = z.infer<typeof ArchiveListing>;

const toObject = shownFields(ArchiveObject);

/** The path of an object under the API: its key as one URL-encoded segment. */
export function objectHref(key: string): string {
  return `/api/archive/objects/${encodeURIComponent(key)}`;
}

/** The written objects filed under the days of [from, to). */
export async function readArchiveListing(env: Env, period: { from: number; to: number }): Promise<ArchiveListing> {
  const rows = await listArchiveObjects(env.DB, utcDay(period.from), utcDay(period.to - 1), LISTING_LIMIT + 1);
  return {
    archive: archiveBucketOf(env) ? "on" : "off",
    from: period.from,
    to: period.to,
    objects: rows.slice(0, LISTING_LIMIT).map((row) => toObject({ ...row, href: objectHref(row.key) })),
    truncated: rows.length > LISTING_LIMIT,
  };
}

/**
 * What encodings the client accepts. Cloudflare (and wrangler dev) hand the Worker
 * `Accept-Encoding: br, gzip` whatever the client sent, keep the client's own value in
 * `cf.clientAcceptEncoding`, and do not re-encode an NDJSON answer on the way out: so that value
 * decides, the header only when it is absent (a request that did not come through the edge).
 */
export function clientAcceptEncoding(request: Request): string {
  const cf = (request as { cf?: { clientAcceptEncoding?: string } }).cf;
  return cf?.clientAcceptEncoding ?? request.headers.get("Accept-Encoding") ?? "";
}

/**
 * The answer streaming a written object: NDJSON, gzip-encoded as stored (`Content-Encoding: gzip`)
 * when `acceptEncoding` takes gzip, else decompressed on the way. Null when the archive is off, the
 * key was never written (or is still being written), or the object is missing from the bucket.
 */
export async function archiveObjectAnswer(env: Env, key: string, acceptEncoding: string): Promise<Response | null> {
  const bucket = archiveBucketOf(env);
  if (!bucket) return null;
  const record = await getArchiveObject(env.DB, key);
  if (!record) return null;
  const object = await bucket.get(key);
  if (!object) return null;
  const headers = new Headers({
    "Content-Type": "application/x-ndjson",
    "Content-Disposition": `attachment; filename="${record.first_id}-${record.last_id}.ndjson"`,
    ETag: object.httpEtag,
    "Cache-Control": "no-store",
  });
  if (!/\bgzip\b/i.test(acceptEncoding)) return new Response(gunzipStream(object.body), { status: 200, headers });
  headers.set("Content-Encoding", "gzip");
  headers.set("Content-Length", String(object.size));
  // "manual": the bytes are gzip already; the runtime must send them as they are, not encode them again.
  return new Response(object.body, { status: 200, headers, encodeBody: "manual" });
}
