/**
 * Retention with ARCHIVE: every event it deletes is first written to the archive, exactly once and
 * field by field as it was; a failing bucket deletes nothing; a run that stops between the write
 * and the delete loses nothing and leaves no duplicate; an event that changes meanwhile stays.
 */
import { env, exports } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import { ARCHIVE_KEY_PATTERN } from "../src/archive/key";
import type { BeforeEventPurge } from "../src/retention/deps";
import { reopenEventForReplay } from "../src/store/followup-state";
import {
  archivedLinesOfDay,
  bucketKeysOfDay,
  eventStillStored,
  faultyBucket,
  linesOf,
  ownDay,
  recordsOfDay,
  retain,
  storeOldEvents,
} from "./helpers/archive";
import { BASE, READ_TOKEN } from "./helpers/read-api";
import { DAY } from "./helpers/time";

afterEach(() => {
  vi.restoreAllMocks();
});

/** The event as the read API shows it (summary, parsed payload, headers) and its order's snapshot. */
async function asTheApiShowsIt(id: string, orderNumber: string | null) {
  const headers = { authorization: `Bearer ${READ_TOKEN}` };
  const event = (await (await exports.default.fetch(`${BASE}/api/events/${id}`, { headers })).json()) as Record<
    string,
    unknown
  >;
  const order = orderNumber
    ? ((await (await exports.default.fetch(`${BASE}/api/orders/${orderNumber}`, { headers })).json()) as {
        order: unknown;
        fetched_at: number | null;
      })
    : { order: null, fetched_at: null };
  const stored = await env.DB.prepare("SELECT payload FROM events WHERE id = ?1").bind(id).first<{ payload: string }>();
  const { payload: _parsed, headers: kept, ...summary } = event;
  return { summary, headers: kept, payload: stored?.payload, order: order.order, fetchedAt: order.fetched_at };
}

describe("archive, then purge", () => {
  it("writes every purged event to the archive exactly once, each line equal to the event field by field", async () => {
    const first = ownDay(100);
    const second = first + DAY;
    const events = [
      ...(await storeOldEvents(first, 7)),
      ...(await storeOldEvents(first, 2, { status: "failed" })),
      ...(await storeOldEvents(second, 5, { status: "skipped", snapshot: false })),
    ];
    const before = new Map<string, Awaited<ReturnType<typeof asTheApiShowsIt>>>();
    for (const event of events) before.set(event.id, await asTheApiShowsIt(event.id, event.order_number));
    const now = Date.now();

    const outcome = await retain(now);

    expect(outcome).toMatchObject({ archive: "ok", failures: [] });
    for (const event of events) expect(await eventStillStored(event.id), event.id).toBeNull();
    const lines = [...(await archivedLinesOfDay(first)), ...(await archivedLinesOfDay(second))];
    for (const event of events) {
      const found = lines.filter((line) => line.event.id === event.id);
      expect(found, `lines of ${event.id}`).toHaveLength(1);
      const line = found[0];
      const was = before.get(event.id);
      expect(line?.event).toEqual(was?.summary);
      expect(line?.payload).toBe(was?.payload);
      expect(line?.headers).toEqual(was?.headers);
      expect(line?.order).toEqual(was?.order);
      expect(line?.order_fetched_at).toBe(was?.fetchedAt);
      expect(line?.archived_at).toBe(now);
    }
  });

  it("files each day's events in objects of that day, recorded with their ids, count and size", async () => {
    const day = ownDay(100);
    const events = await storeOldEvents(day, 4);

    await retain(Date.now());

    const records = await recordsOfDay(day);
    expect(records).toHaveLength(1);
    const [record] = records;
    const key = record?.key ?? "";
    expect(key).toMatch(ARCHIVE_KEY_PATTERN);
    expect(key).toBe(
      `events/${new Date(day).toISOString().slice(0, 10).replaceAll("-", "/")}/${events[0]?.id}-${events[3]?.id}.ndjson.gz`,
    );
    expect(record).toMatchObject({ state: "written", count: 4, first_id: events[0]?.id, last_id: events[3]?.id });
    const object = await env.ARCHIVE.head(key);
    expect(object?.size).toBe(record?.bytes);
    expect(object?.httpMetadata).toMatchObject({ contentType: "application/x-ndjson", contentEncoding: "gzip" });
    expect((await linesOf(key)).map((line) => line.event.id)).toEqual(events.map((event) => event.id));
  });

  it("keeps every event and archives nothing without the binding, then deletes as before", async () => {
    const day = ownDay(100);
    const events = await storeOldEvents(day, 3);

    const outcome = await retain(Date.now(), { archive: null });

    expect(outcome).toMatchObject({ archive: "off", failures: [] });
    expect(outcome.removed.events).toBeGreaterThanOrEqual(3);
    for (const event of events) expect(await eventStillStored(event.id)).toBeNull();
    expect(await recordsOfDay(day)).toEqual([]);
    expect(await bucketKeysOfDay(day)).toEqual([]);
  });
});

describe("when ARCHIVE fails", () => {
  it("deletes nothing, records the run's archive as failed, and archives everything on the next run", async () => {
    const day = ownDay(100);
    const events = await storeOldEvents(day, 3);
    const bucket = faultyBucket("before");

    const failed = await retain(Date.now(), { archive: bucket });

    expect(failed.archive).toBe("failed");
    expect(failed.failures.map((f) => f.kind)).toEqual(["events"]);
    expect(bucket.puts.length).toBeGreaterThan(0);
    for (const event of events) expect(await eventStillStored(event.id)).not.toBeNull();
    expect((await recordsOfDay(day)).filter((r) => r.state === "written")).toEqual([]);
    const run = await env.DB.prepare("SELECT status, archive, error FROM retention_runs WHERE id = ?1")
      .bind(failed.runId)
      .first();
    expect(run).toMatchObject({
      status: "failed",
      archive: "failed",
      error: expect.stringContaining("R2 unavailable"),
    });

    const next = await retain(Date.now());

    expect(next.archive).toBe("ok");
    for (const event of events) expect(await eventStillStored(event.id)).toBeNull();
    expect((await archivedLinesOfDay(day)).map((line) => line.event.id)).toEqual(events.map((event) => event.id));
  });
});

describe("a run that stops between the write and the delete", () => {
  it.each([
    ["the object was written, the worker stopped before the delete", "after"],
    ["the object could not be written", "before"],
  ] as const)("loses nothing and leaves no duplicate when %s", async (_case, mode) => {
    const day = ownDay(100);
    const events = await storeOldEvents(day, 5);

    await retain(Date.now(), { archive: faultyBucket(mode) });

    for (const event of events) expect(await eventStillStored(event.id)).not.toBeNull();
    const left = await recordsOfDay(day);
    expect(left.map((r) => r.state)).toEqual(["writing"]);

    await retain(Date.now());

    for (const event of events) expect(await eventStillStored(event.id)).toBeNull();
    const records = await recordsOfDay(day);
    expect(records.map((r) => [r.key, r.state])).toEqual([[left[0]?.key, "written"]]);
    expect(await bucketKeysOfDay(day)).toEqual([left[0]?.key]);
    const ids = (await archivedLinesOfDay(day)).map((line) => line.event.id);
    expect(ids).toEqual(events.map((event) => event.id));
  });

  it("deletes the object it left when the next run's chunk is not the same one", async () => {
    const day = ownDay(100);
    const [held, ...events] = await storeOldEvents(day, 4);
    const heldId = held?.id ?? "";
    await env.DB.prepare(
      `INSERT INTO deliveries (id, event_id, settlement, status, attempts, next_attempt_at, retry_until, created_at)
       VALUES (?1, ?2, 'processed:1', 'pending', 3, ?3, ?3, ?3)`,
    )
      .bind(heldId.replace(/.$/, "D"), heldId, Date.now())
      .run();

    await retain(Date.now(), { archive: faultyBucket("after") });
    const [left] = await recordsOfDay(day);
    expect(left?.first_id).toBe(events[0]?.id);
    await env.DB.prepare("UPDATE deliveries SET status = 'delivered' WHERE event_id = ?1").bind(heldId).run();

    await retain(Date.now());

    const records = await recordsOfDay(day);
    expect(records.map((r) => [r.first_id, r.state])).toEqual([[heldId, "written"]]);
    expect(await bucketKeysOfDay(day)).toEqual([records[0]?.key]);
    expect((await archivedLinesOfDay(day)).map((line) => line.event.id)).toEqual([heldId, ...events.map((e) => e.id)]);
  });

  it("loses nothing and leaves no duplicate when D1 fails on the delete after the write", async () => {
    const day = ownDay(100);
    const events = await storeOldEvents(day, 4);
    let armed = false;
    const db = new Proxy(env.DB, {
      get(target, name) {
        if (name === "batch") {
          return (statements: D1PreparedStatement[]) => {
            if (armed) {
              armed = false;
              return Promise.reject(new Error("D1 unavailable (injected)"));
            }
            return target.batch(statements);
          };
        }
        const value = Reflect.get(target, name);
        return typeof value === "function" ? value.bind(target) : value;
      },
    });
    const bucket = faultyBucket("none", () => {
      armed = true;
    });

    const stopped = await retain(Date.now(), { db, archive: bucket });

    expect(stopped.failures.map((f) => f.kind)).toEqual(["events"]);
    expect(stopped.archive).toBe("idle");
    for (const event of events) expect(await eventStillStored(event.id)).not.toBeNull();

    await retain(Date.now());

    for (const event of events) expect(await eventStillStored(event.id)).toBeNull();
    expect((await recordsOfDay(day)).map((r) => r.state)).toEqual(["written"]);
    expect(await bucketKeysOfDay(day)).toHaveLength(1);
    expect((await archivedLinesOfDay(day)).map((line) => line.event.id)).toEqual(events.map((event) => event.id));
  });
});

describe("an event that changes between its archive and its delete", () => {
  it("stays in D1, and the chunk is archived again without it", async () => {
    const day = ownDay(100);
    const events = await storeOldEvents(day, 4, { status: "failed" });
    const replayed = events[1]?.id ?? "";
    let replays = 0;
    const bucket = faultyBucket("none", async () => {
      if (replays++ === 0) await reopenEventForReplay(env.DB, replayed, Date.now());
    });

    const outcome = await retain(Date.now(), { archive: bucket });

    expect(outcome.failures).toEqual([]);
    expect(await eventStillStored(replayed)).toMatchObject({ status: "received" });
    const others = events.filter((event) => event.id !== replayed).map((event) => event.id);
    for (const id of others) expect(await eventStillStored(id)).toBeNull();
    expect((await archivedLinesOfDay(day)).map((line) => line.event.id)).toEqual(others);
    expect((await recordsOfDay(day)).map((r) => r.state)).toEqual(["written"]);
    expect(await bucketKeysOfDay(day)).toHaveLength(1);
  });
});

describe("the hook before deleting events", () => {
  it("runs its statements in the delete's batch, and they roll back with a chunk that changed", async () => {
    await env.DB.exec("CREATE TABLE IF NOT EXISTS test_purged_events (id TEXT PRIMARY KEY)");
    const day = ownDay(100);
    const events = await storeOldEvents(day, 3, { status: "failed" });
    const recordPurged: BeforeEventPurge = (db, chunk) => [
      db
        .prepare("INSERT OR IGNORE INTO test_purged_events (id) SELECT value FROM json_each(?1)")
        .bind(JSON.stringify(chunk.ids)),
    ];
    let replays = 0;
    const bucket = faultyBucket("none", async () => {
      if (replays++ === 0) await reopenEventForReplay(env.DB, events[0]?.id ?? "", Date.now());
    });

    await retain(Date.now(), { archive: bucket, beforeEventPurge: [recordPurged] });

    const { results } = await env.DB.prepare("SELECT id FROM test_purged_events ORDER BY id").all<{ id: string }>();
    const recorded = results.map((row) => row.id);
    // The first chunk (all three) changed and rolled back, hook rows included; the second went.
    expect(recorded).toEqual(expect.arrayContaining([events[1]?.id, events[2]?.id]));
    expect(recorded).not.toContain(events[0]?.id);
    await env.DB.exec("DROP TABLE test_purged_events");
  });
});
