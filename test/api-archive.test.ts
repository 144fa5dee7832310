/**
 * The archive through the read API: a period's objects, one object streamed (gzip as stored, or
 * decompressed for a client that does not take gzip), a period's events still in D1 in the same
 * line format, and a clear 4xx for every bad key and period.
 */
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { app } from "../src/app";
import { gunzipText } from "../src/archive/gzip";
import type { ArchiveLine } from "../src/archive/line";
import { linesOf, ownDay, recordsOfDay, retain, storeOldEvents } from "./helpers/archive";
import { apiGet, BASE, json, READ_TOKEN, storeEvent } from "./helpers/read-api";
import { DAY, HOUR } from "./helpers/time";

type Listing = { archive: string; from: number; to: number; objects: Record<string, unknown>[]; truncated: boolean };
type Page = { events: ArchiveLine[]; next_cursor: string | null };
type ErrorAnswer = { error: string; fields?: Record<string, string> };

const isoDay = (ms: number) => new Date(ms).toISOString().slice(0, 10);

let day = 0;
let key = "";
let archivedIds: string[] = [];

beforeAll(async () => {
  day = ownDay(100);
  archivedIds = (await storeOldEvents(day, 3)).map((event) => event.id);
  await retain(Date.now());
  key = (await recordsOfDay(day))[0]?.key ?? "";
  expect(key).not.toBe("");
});

describe("GET /api/archive", () => {
  it("lists the objects filed under a period's days, with where to fetch each", async () => {
    for (const query of [`from=${isoDay(day)}&to=${isoDay(day)}`, `from=${day}&to=${day + DAY}`]) {
      const listing = await json<Listing>(await apiGet(`/api/archive?${query}`));
      expect(listing).toMatchObject({ archive: "on", from: day, to: day + DAY, truncated: false });
      expect(listing.objects).toEqual([
        {
          key,
          day: isoDay(day),
          first_id: archivedIds[0],
          last_id: archivedIds[2],
          count: 3,
          bytes: expect.any(Number),
          created_at: expect.any(Number),
          href: `/api/archive/objects/${encodeURIComponent(key)}`,
        },
      ]);
    }
  });

  it("says the archive is off without the binding, and lists what was archived before", async () => {
    const res = await app.request(
      `/api/archive?from=${isoDay(day)}&to=${isoDay(day)}`,
      { headers: { authorization: `Bearer ${READ_TOKEN}` } },
      { ...env, ARCHIVE: undefined },
    );
    const listing = await json<Listing>(res);
    expect(listing.archive).toBe("off");
    expect(listing.objects.map((object) => object.key)).toEqual([key]);
  });

  it.each([
    ["longer than 31 days", `from=${isoDay(Date.now() - 40 * DAY)}&to=${isoDay(Date.now())}`, "to", /31 days/],
    ["ending before it starts", "from=2026-03-05&to=2026-03-01T00:00:00Z", "to", /later than from/],
    ["starting at no time", "from=yesterday", "from", /ms since the epoch/],
    ["with an unknown parameter", "since=2026-03-01", "since", /./],
  ])("answers 400 naming the parameter for a period %s", async (_case, query, field, message) => {
    const res = await apiGet(`/api/archive?${query}`);
    expect(res.status).toBe(400);
    const body = await json<ErrorAnswer>(res);
    expect(body.error).toBe("invalid_request");
    expect(body.fields?.[field]).toMatch(message);
  });

  it("needs a token", async () => {
    expect((await apiGet("/api/archive", null)).status).toBe(401);
  });
});

describe("GET /api/archive/objects/{key}", () => {
  const objectPath = () => `/api/archive/objects/${encodeURIComponent(key)}`;

  it("streams the object as stored, gzip-encoded, to a client that accepts gzip", async () => {
    // The app's own answer, before the runtime's HTTP layer: the stored bytes, untouched.
    const answered = await app.request(
      objectPath(),
      { headers: { authorization: `Bearer ${READ_TOKEN}`, "accept-encoding": "gzip, br" } },
      env,
    );
    expect(answered.status).toBe(200);
    expect(answered.headers.get("content-type")).toBe("application/x-ndjson");
    expect(answered.headers.get("content-encoding")).toBe("gzip");
    const bytes = new Uint8Array(await answered.arrayBuffer());
    expect([bytes[0], bytes[1]]).toEqual([0x1f, 0x8b]);
    const stored = await env.ARCHIVE.get(key);
    expect(bytes).toEqual(new Uint8Array(await (stored as R2ObjectBody).arrayBuffer()));
    expect(answered.headers.get("content-length")).toBe(String(bytes.byteLength));
    // Through the runtime, a client that asked for gzip reads it decoded once: NDJSON, not gzip again.
    const res = await apiGet(objectPath(), READ_TOKEN, { "accept-encoding": "gzip, br" });
    expect(res.headers.get("content-encoding")).toBe("gzip");
    const ids = (await res.text())
      .trimEnd()
      .split("\n")
      .map((line) => (JSON.parse(line) as ArchiveLine).event.id);
    expect(ids).toEqual(archivedIds);
    expect(ids).toEqual(
      (await gunzipText(bytes))
        .trimEnd()
        .split("\n")
        .map((line) => (JSON.parse(line) as ArchiveLine).event.id),
    );
  });

  it("streams it decompressed, as plain NDJSON, to a client that does not accept gzip", async () => {
    const res = await apiGet(objectPath());
    expect(res.status).toBe(200);
    expect(res.headers.get("content-encoding")).toBeNull();
    expect(res.headers.get("content-type")).toBe("application/x-ndjson");
    const lines = (await res.text())
      .trimEnd()
      .split("\n")
      .map((line) => JSON.parse(line) as ArchiveLine);
    expect(lines).toEqual(await linesOf(key));
  });

  it("goes by the client's own Accept-Encoding when the edge replaced the header (cf.clientAcceptEncoding)", async () => {
    const edge = (clientAcceptEncoding: string) =>
      app.fetch(
        new Request(`${BASE}${objectPath()}`, {
          headers: { authorization: `Bearer ${READ_TOKEN}`, "accept-encoding": "br, gzip" },
          cf: { clientAcceptEncoding },
        }),
        env,
      );
    expect((await edge("")).headers.get("content-encoding")).toBeNull();
    expect((await edge("identity")).headers.get("content-encoding")).toBeNull();
    expect((await edge("gzip, deflate")).headers.get("content-encoding")).toBe("gzip");
  });

  it.each([
    ["a .. segment", "events/2026/../../secrets"],
    ["an empty segment", "events//2026/x.ndjson.gz"],
    ["a space", "events/2026/a b.ndjson.gz"],
    ["a character outside the key alphabet", "events/2026/x?.ndjson.gz"],
    ["more than 256 characters", `events/${"a".repeat(260)}`],
  ])("answers 400 naming key for a key with %s", async (_case, bad) => {
    const res = await apiGet(`/api/archive/objects/${encodeURIComponent(bad)}`);
    expect(res.status).toBe(400);
    expect((await json<ErrorAnswer>(res)).fields).toHaveProperty("key");
  });

  it.each([
    ["outside events/", "secrets/2026/03/01/x.ndjson.gz"],
    ["under events/ but of no shape retention writes", "events/notes.txt"],
    [
      "of the right shape but never written",
      "events/1999/01/01/01KJ0000000000000000000000-01KJ0000000000000000000001.ndjson.gz",
    ],
  ])("answers 404 for a key %s", async (_case, missing) => {
    const res = await apiGet(`/api/archive/objects/${encodeURIComponent(missing)}`);
    expect(res.status).toBe(404);
    expect((await json<ErrorAnswer>(res)).error).toBe("not_found");
  });

  it("answers 404 for an object still being written, and for any object while the archive is off", async () => {
    const writing = key.replace(`-${archivedIds[2]}.`, `-${archivedIds[1]}.`);
    await env.ARCHIVE.put(writing, "partial");
    await env.DB.prepare(
      `INSERT INTO archive_objects (key, day, first_id, last_id, count, bytes, created_at, state, run_id)
       VALUES (?1, ?2, 'a', 'b', 1, 7, 0, 'writing', 'r')`,
    )
      .bind(writing, isoDay(day))
      .run();
    expect((await apiGet(`/api/archive/objects/${encodeURIComponent(writing)}`)).status).toBe(404);
    const off = await app.request(
      `/api/archive/objects/${encodeURIComponent(key)}`,
      { headers: { authorization: `Bearer ${READ_TOKEN}` } },
      { ...env, ARCHIVE: undefined },
    );
    expect(off.status).toBe(404);
    await env.DB.prepare("DELETE FROM archive_objects WHERE key = ?1").bind(writing).run();
  });
});

describe("GET /api/archive/events", () => {
  it("lists the period's events still in D1 as archive lines, oldest first, paged, without self-tests", async () => {
    const start = Math.floor((Date.now() - 5 * DAY) / DAY) * DAY;
    const kept = [
      await storeEvent({ at: start + HOUR, status: "processed", processed_at: start + 2 * HOUR }),
      await storeEvent({ at: start + 2 * HOUR }),
      await storeEvent({ at: start + 3 * HOUR, status: "failed", processed_at: start + 4 * HOUR }),
    ];
    await storeEvent({ at: start + 90 * 60_000, source: "selftest" });
    const period = `from=${isoDay(start)}&to=${isoDay(start)}`;

    const first = await json<Page>(await apiGet(`/api/archive/events?${period}&limit=2`));
    const second = await json<Page>(await apiGet(`/api/archive/events?${period}&limit=2&cursor=${first.next_cursor}`));

    const lines = [...first.events, ...second.events];
    expect(second.next_cursor).toBeNull();
    expect(lines.map((line) => line.event.id)).toEqual(kept.map((event) => event.id));
    for (const [i, line] of lines.entries()) {
      expect(line).toMatchObject({ archived_at: null, payload: kept[i]?.payload, order: null });
      expect(line.event).toMatchObject({ id: kept[i]?.id, status: kept[i]?.status, seq: kept[i]?.seq });
    }
  });

  it("answers 400 naming to for a period longer than 31 days", async () => {
    const res = await apiGet(`/api/archive/events?from=0&to=${40 * DAY}`);
    expect(res.status).toBe(400);
    expect((await json<ErrorAnswer>(res)).fields?.to).toMatch(/31 days/);
  });
});
