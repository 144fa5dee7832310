/**
 * /dashboard/archive through fetch like a browser (a read-only viewer): objects, events and sizes
 * per day, a day's objects downloadable as NDJSON through the session, and the warning while
 * writing to ARCHIVE keeps failing.
 */
import { env, exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { app } from "../src/app";
import type { ArchiveLine } from "../src/archive/line";
import { faultyBucket, ownDay, recordsOfDay, retain, storeOldEvents } from "./helpers/archive";
import { BASE, READ_TOKEN } from "./helpers/read-api";
import { sessionCookie } from "./helpers/session";
import { MINUTE } from "./helpers/time";

async function page(path: string) {
  return exports.default.fetch(new Request(`${BASE}${path}`, { headers: { cookie: await sessionCookie(READ_TOKEN) } }));
}

describe("the archive page", () => {
  it("shows each day's objects, events and size, and lists a day's objects with a download", async () => {
    const dayStart = Date.now() - 20 * 86_400_000;
    const day = new Date(dayStart).toISOString().slice(0, 10);
    // Archived though young: this run keeps events 10 days.
    const events = await storeOldEvents(Math.floor(dayStart / 86_400_000) * 86_400_000, 3);
    await retain(Date.now(), { config: { retentionMs: 10 * 86_400_000, sweepAfterMs: 300_000 } });
    const [record] = await recordsOfDay(Math.floor(dayStart / 86_400_000) * 86_400_000);

    const res = await page("/dashboard/archive");
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain("<h1>Archive</h1>");
    expect(html).toContain(`<a href="/dashboard/archive?day=${day}">${day}</a>`);
    expect(html).toMatch(new RegExp(`${day}</a></td><td class="num">1</td><td class="num">3</td>`));
    expect(html).toContain('href="/dashboard/archive"');

    const dayPage = await (await page(`/dashboard/archive?day=${day}`)).text();
    const href = `/dashboard/archive/objects/${encodeURIComponent(record?.key ?? "")}`;
    expect(dayPage).toContain(`Objects of ${day}`);
    expect(dayPage).toContain(`href="${href}"`);
    const download = await page(href);
    expect(download.status).toBe(200);
    expect(download.headers.get("content-type")).toBe("application/x-ndjson");
    const ids = (await download.text())
      .trimEnd()
      .split("\n")
      .map((line) => (JSON.parse(line) as ArchiveLine).event.id);
    expect(ids).toEqual(events.map((event) => event.id));
  });

  it("answers 404 for an object that is not archived, and asks a stranger to sign in", async () => {
    expect((await page(`/dashboard/archive/objects/${encodeURIComponent("events/../x")}`)).status).toBe(404);
    expect((await page(`/dashboard/archive/objects/${encodeURIComponent("other/x.ndjson.gz")}`)).status).toBe(404);
    const stranger = await exports.default.fetch(new Request(`${BASE}/dashboard/archive`, { redirect: "manual" }));
    expect(stranger.status).toBe(303);
  });

  it("warns while writing to ARCHIVE has failed three runs in a row", async () => {
    await storeOldEvents(ownDay(100), 1);
    const now = Date.now();
    for (const at of [now + MINUTE, now + 2 * MINUTE, now + 3 * MINUTE]) {
      await retain(at, { archive: faultyBucket("before") });
    }
    const html = await (await page("/dashboard/archive")).text();
    expect(html).toContain("Writing to ARCHIVE failed in the last 3 retention runs");
    expect(html).toContain("ARCHIVE failed");

    await retain(now + 4 * MINUTE);
    expect(await (await page("/dashboard/archive")).text()).not.toContain("Writing to ARCHIVE failed");
  });

  it("says the archive is off without the binding", async () => {
    const cookie = await sessionCookie(READ_TOKEN);
    const res = await app.request("/dashboard/archive", { headers: { cookie } }, { ...env, ARCHIVE: undefined });
    expect(await res.text()).toContain("The archive is off (no ARCHIVE binding)");
  });
});
