/**
 * Property-based tests (fast-check) of what the read API accepts from a client: the cursor
 * decoder, time bounds, the list query schema, and the whole `GET /api/events` route. For any
 * input: no exception, a 200 or a 400 naming the field, and pages that never leave their bounds.
 */
import { exports } from "cloudflare:workers";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { encodeIdTime, isEventId } from "../src/lib/ids";
import { decodeCursor, encodeCursor, parseTimeBound, toEventListQuery } from "../src/read-model/event-query";
import { ListEventsQuery } from "../src/read-model/event-shapes";

const RUNS = { numRuns: 300, seed: 11 };
const MAX_MS = 253_402_300_799_999;
const CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ".split("");

const eventId = fc
  .array(fc.constantFrom(...CROCKFORD), { minLength: 26, maxLength: 26 })
  .map((chars) => chars.join(""));
const hostileText = fc.oneof(
  fc.string({ maxLength: 300 }),
  fc.string({ unit: "binary", maxLength: 100 }),
  fc.constantFrom(
    "' OR 1=1 --",
    "../../etc/passwd",
    "%00",
    "\u0000",
    "1e309",
    "-1",
    "NaN",
    "Infinity",
    "0x10",
    "9".repeat(400),
    "2024-02-30T25:61:61Z",
    "=".repeat(64),
  ),
);

describe("decodeCursor, for any text", () => {
  it("never throws and yields nothing or a well-formed event id", () => {
    fc.assert(
      fc.property(hostileText, (text) => {
        const id = decodeCursor(text);
        return id === null || isEventId(id);
      }),
      RUNS,
    );
  });

  it("reads back every cursor the API hands out", () => {
    fc.assert(
      fc.property(eventId, (id) => decodeCursor(encodeCursor(id)) === id),
      RUNS,
    );
  });

  it("refuses any change to a cursor that makes it not an event id", () => {
    fc.assert(
      fc.property(eventId, fc.nat(), fc.constantFrom("!", "=", "+", "/", " ", "é"), (id, at, junk) => {
        const cursor = encodeCursor(id);
        const i = at % cursor.length;
        return decodeCursor(cursor.slice(0, i) + junk + cursor.slice(i + 1)) === null;
      }),
      RUNS,
    );
  });
});

describe("parseTimeBound, for any text", () => {
  it("never throws and yields nothing or a millisecond time between 1970 and 9999", () => {
    fc.assert(
      fc.property(hostileText, (text) => {
        const ms = parseTimeBound(text);
        return ms === null || (Number.isInteger(ms) && ms >= 0 && ms <= MAX_MS);
      }),
      RUNS,
    );
  });

  it("reads milliseconds and ISO 8601 of the same instant alike", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: MAX_MS }), (ms) => {
        return parseTimeBound(String(ms)) === ms && parseTimeBound(new Date(ms).toISOString()) === ms;
      }),
      RUNS,
    );
  });
});

const knownParam = fc.constantFrom(...Object.keys(ListEventsQuery.shape));
const anyQuery = fc.dictionary(fc.oneof(knownParam, fc.string({ maxLength: 20 })), hostileText, { maxKeys: 6 });

describe("the list query, for any parameters", () => {
  it("never throws; when accepted, the limit is 1–200 and since is before until", () => {
    fc.assert(
      fc.property(anyQuery, (query) => {
        const parsed = ListEventsQuery.safeParse(query);
        if (!parsed.success) return parsed.error.issues.length > 0;
        const { limit, since, until } = parsed.data;
        return limit >= 1 && limit <= 200 && (since === undefined || until === undefined || since < until);
      }),
      RUNS,
    );
  });

  it("refuses any parameter it does not know", () => {
    fc.assert(
      fc.property(
        fc
          .string({ minLength: 1, maxLength: 20 })
          .filter(
            (k) => !/^(event|category|status|resource_id|order_number|seller_id|since|until|limit|cursor)$/.test(k),
          ),
        fc.string(),
        (key, value) => !ListEventsQuery.safeParse({ [key]: value }).success,
      ),
      RUNS,
    );
  });

  it("turns bounds into an id range no page can leave", () => {
    fc.assert(
      fc.property(
        fc.option(fc.integer({ min: 0, max: MAX_MS }), { nil: undefined }),
        fc.option(fc.integer({ min: 0, max: MAX_MS }), { nil: undefined }),
        fc.option(eventId, { nil: undefined }),
        (since, until, cursor) => {
          const q = toEventListQuery({ since, until, cursor, limit: 50 });
          if (cursor !== undefined && !(q.maxId !== undefined && q.maxId <= cursor)) return false;
          if (until !== undefined && !(q.maxId !== undefined && q.maxId <= encodeIdTime(until))) return false;
          return since === undefined || q.minId === encodeIdTime(since);
        },
      ),
      RUNS,
    );
  });
});

describe("GET /api/events, for any query string", () => {
  it("answers 200 or a 400 naming a field, never a 5xx", async () => {
    await fc.assert(
      fc.asyncProperty(anyQuery, async (query) => {
        const url = new URL("https://omisell-push.example.workers.dev/api/events");
        for (const [key, value] of Object.entries(query)) url.searchParams.append(key, value);
        const res = await exports.default.fetch(
          new Request(url, { headers: { authorization: "Bearer test-read-token" } }),
        );
        const body = (await res.json()) as { error?: string; fields?: Record<string, string>; events?: unknown[] };
        if (res.status === 200) return Array.isArray(body.events);
        expect(res.status, JSON.stringify({ query, body })).toBe(400);
        return body.error === "invalid_request" && Object.keys(body.fields ?? {}).length > 0;
      }),
      { numRuns: 120, seed: 11 },
    );
  });
});
