/**
 * `npm run export` against a fake worker, run as npm runs it (`node scripts/export.ts`): the file
 * it writes (gzip objects decoded however they are sent, D1 pages followed, each event once in id
 * order), and a clear message and exit status for bad flags, a long period and a refusing worker.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { afterEach, describe, expect, it } from "vitest";
import { type ExportLine, mergeLines } from "../../scripts/lib/archive-export.ts";
import { exportCli } from "./export-cli.ts";
import { json, startFakeWorker } from "./fake-worker";

const TOKEN = "read-token-export";
const DAY = 86_400_000;
const DAY1 = Date.parse("2026-03-01T00:00:00Z");

let closers: (() => Promise<void>)[] = [];
const dir = mkdtempSync(join(tmpdir(), "omisell-export-"));
afterEach(async () => {
  for (const close of closers) await close();
  closers = [];
});

/** A line of event `n` (ids sort by n), arrived `at`, with `seq` and archived or not. */
function line(n: number, at: number, seq: number, archived: boolean): ExportLine {
  const id = `01KJ${String(n).padStart(22, "0")}`;
  return { event: { id, seq, received_at: at }, payload: `{"n":${n}}`, archived_at: archived ? at + 90 * DAY : null };
}

const ndjson = (lines: ExportLine[]) => lines.map((l) => `${JSON.stringify(l)}\n`).join("");

/** A worker holding `objects` (by day) and `live` events, the first object sent gzip-encoded, others as raw gzip. */
async function fakeWorker(objects: Record<string, ExportLine[]>, live: ExportLine[]) {
  const fake = await startFakeWorker((req, _body, res) => {
    if (req.headers.authorization !== `Bearer ${TOKEN}`) return json(res, 401, { error: "unauthorized" });
    const url = new URL(req.url ?? "/", "http://fake");
    const from = Number(url.searchParams.get("from"));
    const to = Number(url.searchParams.get("to"));
    if (url.pathname === "/api/archive/events") {
      const inPeriod = live.filter((l) => l.event.received_at >= from && l.event.received_at < to);
      const after = url.searchParams.get("cursor");
      const start = after ? Number(after) : 0;
      const page = inPeriod.slice(start, start + 1);
      const next = start + 1 < inPeriod.length ? String(start + 1) : null;
      return json(res, 200, { events: page, next_cursor: next });
    }
    if (url.pathname === "/api/archive") {
      const day = new Date(from).toISOString().slice(0, 10);
      const keys = (objects[day] ?? []).length ? [`events/${day.replaceAll("-", "/")}/x.ndjson.gz`] : [];
      return json(res, 200, {
        archive: "on",
        truncated: false,
        objects: keys.map((key) => ({ key, href: `/api/archive/objects/${encodeURIComponent(key)}` })),
      });
    }
    const key = decodeURIComponent(url.pathname.replace("/api/archive/objects/", ""));
    const day = key.split("/").slice(1, 4).join("-");
    const body = gzipSync(ndjson(objects[day] ?? []));
    if (day === "2026-03-01")
      res.writeHead(200, { "content-type": "application/x-ndjson", "content-encoding": "gzip" });
    else res.writeHead(200, { "content-type": "application/gzip" });
    res.end(body);
  });
  closers.push(fake.close);
  return fake;
}

describe("npm run export", () => {
  it("writes the period's events from the archive and from D1, once each, in id order", async () => {
    const archivedDay1 = [line(1, DAY1 + 1000, 10, true), line(3, DAY1 + 3000, 12, true)];
    const archivedDay2 = [line(5, DAY1 + DAY + 1000, 20, true)];
    // Event 3 was replayed and settled again (seq 30) after its archive: the later state wins.
    const live = [
      line(3, DAY1 + 3000, 30, false),
      line(2, DAY1 + 2000, 11, false),
      line(6, DAY1 + DAY + 2000, 21, false),
    ];
    const fake = await fakeWorker({ "2026-03-01": archivedDay1, "2026-03-02": archivedDay2 }, live);
    const out = join(dir, "events.ndjson");

    const run = await exportCli([
      "--url",
      fake.url,
      "--token",
      TOKEN,
      "--from",
      "2026-03-01",
      "--to",
      "2026-03-02",
      "--out",
      out,
    ]);

    expect(run.code, run.stderr).toBe(0);
    const written = readFileSync(out, "utf8")
      .trimEnd()
      .split("\n")
      .map((l) => JSON.parse(l) as ExportLine);
    expect(written.map((l) => [l.event.id.slice(-1), l.event.seq, l.archived_at === null])).toEqual([
      ["1", 10, false],
      ["2", 11, true],
      ["3", 30, true],
      ["5", 20, false],
      ["6", 21, true],
    ]);
    expect(run.stderr).toContain("wrote 5 events");
    expect(run.stderr).toContain("1 found in both, written once");
  });

  it.each([
    [["--from", "2026-01-01", "--to", "2026-03-01", "--out", "x"], /longer than the 31 days/],
    [["--from", "2026-03-01", "--to", "2026-03-02"], /missing --out/],
    [["--from", "March", "--to", "2026-03-02", "--out", "x"], /--from "March"/],
    [["--from", "2026-03-01", "--to", "2026-03-02", "--out", "x", "--days", "3"], /Unknown option '--days'/],
  ])("exits 2 with a clear message for %j", async (args, message) => {
    const run = await exportCli(args);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(message);
  });

  it("exits 1 with what the worker said when it refuses", async () => {
    const fake = await fakeWorker({}, []);
    const out = join(dir, "refused.ndjson");

    const run = await exportCli([
      "--url",
      fake.url,
      "--token",
      "wrong",
      "--from",
      "2026-03-01",
      "--to",
      "2026-03-01",
      "--out",
      out,
    ]);

    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/GET \/api\/archive\/events answered 401: .*unauthorized/);
  });
});

describe("mergeLines", () => {
  it("keeps one line per event, the later state (higher seq), the live one when equal, in id order", () => {
    const { lines, duplicates } = mergeLines(
      [line(2, 0, 5, true), line(1, 0, 9, true), line(3, 0, 7, true)],
      [line(1, 0, 4, false), line(3, 0, 7, false), line(4, 0, 1, false)],
    );
    expect(lines.map((l) => [l.event.id.slice(-1), l.event.seq, l.archived_at === null])).toEqual([
      ["1", 9, false],
      ["2", 5, false],
      ["3", 7, true],
      ["4", 1, true],
    ]);
    expect(duplicates).toBe(2);
  });
});

process.on("exit", () => rmSync(dir, { recursive: true, force: true }));
