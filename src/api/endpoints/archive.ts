/**
 * The archive (read token): a period's objects, one object streamed, and a period's events still in
 * D1 in the archive's line format (what `npm run export` joins with the objects).
 */
import { createRoute } from "@hono/zod-openapi";
import { z } from "zod";
import { checkArchiveKey } from "../../archive/key";
import { HttpError } from "../../errors";
import {
  ArchiveListing,
  ArchiveListQuery,
  archiveObjectAnswer,
  clientAcceptEncoding,
  periodOf,
  readArchiveListing,
} from "../../read-model/archive";
import { ArchiveEventsPage, ArchiveEventsQuery, readLiveEvents } from "../../read-model/archive-events";
import { apiRouter, errorAnswers, firstOfRepeated, jsonAnswer } from "../route-kit";

export const archiveRoutes = apiRouter();

export const listArchiveRoute = createRoute({
  method: "get",
  path: "/api/archive",
  operationId: "listArchive",
  tags: ["Archive"],
  summary: "List archived objects",
  description:
    "The gzip NDJSON objects retention wrote to ARCHIVE for the days of a period (at most 31 days; default the last 31), by day then id. Fetch one with its `href`.",
  request: { query: firstOfRepeated(ArchiveListQuery) },
  responses: { 200: jsonAnswer(ArchiveListing, "The period's objects."), ...errorAnswers([400, 401]) },
});

archiveRoutes.openapi(listArchiveRoute, async (c) =>
  c.json(await readArchiveListing(c.env, periodOf(c.req.valid("query"), Date.now())), 200),
);

/** `{key}`: an object key, URL-encoded as one path segment; a malformed one is a 400 naming `key`. */
const ArchiveKeyParam = z.object({
  key: z
    .string()
    .superRefine((key, ctx) => {
      const check = checkArchiveKey(key);
      if (check.kind === "malformed") ctx.addIssue({ code: "custom", message: check.reason });
    })
    .meta({
      description: "The object's key, URL-encoded (slashes as %2F), as the listing's `href` gives it.",
      examples: ["events/2026/03/01/01KJ0000000000000000000000-01KJ0000000000000000000001.ndjson.gz"],
    }),
});

export const getArchiveObjectRoute = createRoute({
  method: "get",
  path: "/api/archive/objects/{key}",
  operationId: "getArchiveObject",
  tags: ["Archive"],
  summary: "Get one archived object",
  description:
    "Streams the object: NDJSON, one event a line (see ArchiveLine). Sent gzip-encoded as stored (`Content-Encoding: gzip`) to a client that accepts gzip, decompressed on the way to one that does not; `curl --compressed` and browsers get plain NDJSON either way.",
  request: { params: ArchiveKeyParam },
  responses: {
    200: { description: "The object's lines.", content: { "application/x-ndjson": { schema: z.string() } } },
    ...errorAnswers([400, 401, 404], {
      404: "No such object: a key outside `events/`, one never written (or still being written), or the archive is off.",
    }),
  },
});

/**
 * The object's answer as the route's type. zod-openapi reads `application/x-ndjson` as a JSON media
 * type (its pattern is application/*json*) and so expects a JSON answer; this one is a stream.
 */
function streamAnswer(response: Response): never {
  return response as never;
}

archiveRoutes.openapi(getArchiveObjectRoute, async (c) => {
  const key = c.req.valid("param").key;
  const inArchive = checkArchiveKey(key).kind === "archive";
  const answer = inArchive ? await archiveObjectAnswer(c.env, key, clientAcceptEncoding(c.req.raw)) : null;
  if (!answer) throw new HttpError(404, "not_found", "no archived object with this key");
  return streamAnswer(answer);
});

export const listArchiveEventsRoute = createRoute({
  method: "get",
  path: "/api/archive/events",
  operationId: "listArchiveEvents",
  tags: ["Archive"],
  summary: "List a period's events not archived yet",
  description:
    "The period's events still in D1 (at most 31 days), oldest first, each in the archive's line format with `archived_at` null: joined with the period's objects, every event of the period once. Self-test pushes are left out.",
  request: { query: firstOfRepeated(ArchiveEventsQuery) },
  responses: { 200: jsonAnswer(ArchiveEventsPage, "A page of events."), ...errorAnswers([400, 401]) },
});

archiveRoutes.openapi(listArchiveEventsRoute, async (c) =>
  c.json(await readLiveEvents(c.env, c.req.valid("query"), Date.now()), 200),
);
