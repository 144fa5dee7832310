/**
 * The export's round trip: events archived by the real retention and events still in D1, read
 * back through the real read API by the export's own code (scripts/lib/archive-export.ts, the core
 * of `npm run export`), come out as one NDJSON list in id order, each event once, equal to what
 * the API showed before retention ran.
 */
import { env, exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { ExportError, type ExportLine, exportEvents, exportPeriod } from "../scripts/lib/archive-export.ts";
import { ownDay, retain, storeOldEvents } from "./helpers/archive";
import { BASE, READ_TOKEN } from "./helpers/read-api";
import { DAY } from "./helpers/time";

const workerFetch = (url: string, init: RequestInit) => exports.default.fetch(new Request(url, init));

async function detailOf(id: string) {
  const res = await exports.default.fetch(`${BASE}/api/events/${id}`, {
    headers: { authorization: `Bearer ${READ_TOKEN}` },
  });
  const { payload: _parsed, headers, ...summary } = (await res.json()) as Record<string, unknown>;
  const stored = await env.DB.prepare("SELECT payload FROM events WHERE id = ?1").bind(id).first<{ payload: string }>();
  return { summary, headers, payload: stored?.payload };
}

describe("npm run export's round trip", () => {
  it("writes a period's archived and live events once each, in id order, as they were", async () => {
    const oldDay = ownDay(200);
    const liveDay = oldDay + 20 * DAY;
    const archived = [...(await storeOldEvents(oldDay, 4)), ...(await storeOldEvents(oldDay + DAY, 2))];
    const live = await storeOldEvents(liveDay, 3, { snapshot: false });
    const before = new Map<string, Awaited<ReturnType<typeof detailOf>>>();
    for (const event of [...archived, ...live]) before.set(event.id, await detailOf(event.id));
    const now = Date.now();
    // Retention at 195 days: the first days are archived, the last one is still in D1.
    await retain(now, { config: { retentionMs: 195 * DAY, sweepAfterMs: 300_000 } });
    for (const event of archived) {
      expect(await env.DB.prepare("SELECT 1 FROM events WHERE id = ?1").bind(event.id).first()).toBeNull();
    }

    const written: string[] = [];
    const summary = await exportEvents({
      url: BASE,
      token: READ_TOKEN,
      ...exportPeriod(new Date(oldDay).toISOString().slice(0, 10), new Date(liveDay).toISOString().slice(0, 10)),
      fetch: workerFetch,
      write: (line) => {
        written.push(line);
      },
    });

    const lines = written.map((line) => JSON.parse(line) as ExportLine);
    const expected = [...archived, ...live].map((event) => event.id).sort();
    expect(lines.map((line) => line.event.id)).toEqual(expected);
    expect(summary).toMatchObject({ events: 9, fromArchive: 6, fromD1: 3, duplicates: 0, objects: 2 });
    for (const line of lines) {
      const was = before.get(line.event.id);
      expect(line.event).toEqual(was?.summary);
      expect(line.payload).toBe(was?.payload);
      expect(line.headers).toEqual(was?.headers);
      const isArchived = archived.some((event) => event.id === line.event.id);
      expect(line.archived_at).toBe(isArchived ? now : null);
      expect(line.order === null).toBe(!isArchived);
    }
  });

  it("refuses a period longer than 31 days before asking the worker anything", () => {
    expect(() => exportPeriod("2026-01-01", "2026-03-01")).toThrow(ExportError);
    expect(() => exportPeriod("2026-01-01", "2026-03-01")).toThrow(/longer than the 31 days/);
    expect(() => exportPeriod("2026-03-02", "2026-03-01")).toThrow(/--to must be later than --from/);
    expect(() => exportPeriod("last week", "2026-03-01")).toThrow(/--from "last week"/);
  });
});
