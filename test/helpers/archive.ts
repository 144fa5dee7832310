/**
 * Helpers for the archive and retention tests: old events with realistic bodies (the fixtures'
 * pushes) and order snapshots, a retention run with the worker's deps or some replaced, the lines
 * of what ARCHIVE holds, and buckets that fail or stop half-way.
 */
import { env } from "cloudflare:workers";
import { expect } from "vitest";
import type { ArchiveBucket } from "../../src/archive/bucket";
import { gunzipText } from "../../src/archive/gzip";
import type { ArchiveLine } from "../../src/archive/line";
import type { EventRow, EventStatus } from "../../src/events/vocabulary";
import { liveRetentionDeps, type RetentionDeps } from "../../src/retention/deps";
import { runRetention } from "../../src/retention/run";
import type { ArchiveObjectRow } from "../../src/store/archive";
import detail from "../fixtures/order-detail-response.json";
import { storeEvent } from "./read-api";
import { DAY, MINUTE } from "./time";

const pushes = Object.values(
  import.meta.glob<{ default: Record<string, unknown> }>("../fixtures/pushes/*.json", { eager: true }),
).map((module) => module.default);

let days = 0;

/**
 * 00:00 UTC of a day of its own, `ageDays` or more days ago (each call a day further back), so
 * tests of one file never share an archive day.
 */
export function ownDay(ageDays: number): number {
  days += 1;
  const start = Math.floor((Date.now() - (ageDays + days) * DAY) / DAY) * DAY;
  return start;
}

export type OldEvent = EventRow;

/**
 * `count` events that arrived on the day starting at `dayStart` (a minute apart, from 01:00 UTC),
 * settled `status` two hours later, with a fixture push as body, request headers, and (unless
 * `snapshot` is false) their order's snapshot: the fixture order detail under the order's number.
 */
export async function storeOldEvents(
  dayStart: number,
  count: number,
  options: { status?: EventStatus; snapshot?: boolean; source?: EventRow["source"] } = {},
): Promise<OldEvent[]> {
  const stored: OldEvent[] = [];
  for (let i = 0; i < count; i++) {
    const at = dayStart + 60 * MINUTE + i * MINUTE;
    const template = pushes[i % pushes.length] ?? {};
    const orderNumber = `OMARC${at}${i}${crypto.randomUUID().slice(0, 4)}`;
    const body = JSON.stringify({
      ...template,
      data: { ...(template.data as object), omisell_order_number: orderNumber },
    });
    const status = options.status ?? "processed";
    const event = await storeEvent({
      at,
      order_number: orderNumber,
      resource_id: orderNumber,
      event: String(template.event ?? "order.shipped"),
      status,
      attempts: 1,
      processed_at: status === "received" ? null : at + 120 * MINUTE,
      payload: body,
      headers: { "content-type": "application/json", "user-agent": "Omisell-Webhook/1.0" },
      source: options.source ?? "push",
    });
    if (options.snapshot !== false) {
      await env.DB.prepare(
        `INSERT INTO resources (type, id, seller_id, status_name, data, fetched_at, last_event_id)
         VALUES ('order', ?1, '1001', 'Shipped', ?2, ?3, ?4)`,
      )
        .bind(orderNumber, JSON.stringify({ ...detail.data, omisell_order_number: orderNumber }), at + MINUTE, event.id)
        .run();
    }
    stored.push(event);
  }
  return stored;
}

/** The worker's retention deps with `overrides`. */
export function retentionDeps(overrides: Partial<RetentionDeps> = {}): RetentionDeps {
  return { ...liveRetentionDeps(env), ...overrides };
}

/** One retention run at `now` that must start; its outcome. */
export async function retain(now: number, overrides: Partial<RetentionDeps> = {}) {
  const outcome = await runRetention(retentionDeps(overrides), now);
  if (!outcome.ran) throw new Error("the retention run did not start");
  return outcome;
}

/** One run of the retention policy at `now` with the live deps of `workerEnv`; the rows it removed, by kind. */
export async function purgePastRetention(workerEnv: Env, now: number) {
  const outcome = await runRetention(liveRetentionDeps(workerEnv), now);
  if (!outcome.ran) throw new Error("the retention run did not start");
  return outcome.removed;
}

/** Every archive record (any state) of a day. */
export async function recordsOfDay(dayStart: number): Promise<ArchiveObjectRow[]> {
  const day = new Date(dayStart).toISOString().slice(0, 10);
  const { results } = await env.DB.prepare("SELECT * FROM archive_objects WHERE day = ?1 ORDER BY first_id")
    .bind(day)
    .all<ArchiveObjectRow>();
  return results;
}

/** The keys ARCHIVE holds under a day's prefix, whatever D1 says. */
export async function bucketKeysOfDay(dayStart: number): Promise<string[]> {
  const prefix = `events/${new Date(dayStart).toISOString().slice(0, 10).replaceAll("-", "/")}/`;
  const listed = await env.ARCHIVE.list({ prefix });
  return listed.objects.map((object) => object.key).sort();
}

/** The lines of one object in ARCHIVE, decompressed. */
export async function linesOf(key: string): Promise<ArchiveLine[]> {
  const object = await env.ARCHIVE.get(key);
  expect(object, `object ${key}`).not.toBeNull();
  const text = await gunzipText(await (object as R2ObjectBody).arrayBuffer());
  expect(text.endsWith("\n")).toBe(true);
  return text
    .trimEnd()
    .split("\n")
    .map((line) => JSON.parse(line) as ArchiveLine);
}

/** Every line of every object ARCHIVE holds for a day. */
export async function archivedLinesOfDay(dayStart: number): Promise<ArchiveLine[]> {
  const lines: ArchiveLine[] = [];
  for (const key of await bucketKeysOfDay(dayStart)) lines.push(...(await linesOf(key)));
  return lines;
}

export function eventStillStored(id: string) {
  return env.DB.prepare("SELECT id, status FROM events WHERE id = ?1").bind(id).first<{ id: string; status: string }>();
}

/**
 * The live bucket, with `put` replaced: `before` throws without writing (R2 down), `after` writes
 * and then throws (the worker stopped right after the write). `onPut` runs after a real write.
 */
export function faultyBucket(
  mode: "before" | "after" | "none",
  onPut: (key: string) => Promise<void> | void = () => {},
): ArchiveBucket & { puts: string[] } {
  const puts: string[] = [];
  return {
    puts,
    async put(key, value, options) {
      puts.push(key);
      if (mode === "before") throw new Error("R2 unavailable (injected)");
      await env.ARCHIVE.put(key, value, options);
      await onPut(key);
      if (mode === "after") throw new Error("worker stopped after the write (injected)");
      return null;
    },
    get: (key) => env.ARCHIVE.get(key),
    delete: (key) => env.ARCHIVE.delete(key),
  };
}
