/**
 * The retention policy, row kind by row kind: each goes when it is past its age and what must hold
 * first holds, and stays otherwise. One run of the policy (the cron's retention job) at a time.
 */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { newUlid } from "../src/lib/ids";
import { RETENTION_POLICY, ROW_KINDS } from "../src/retention/policy";
import { RETENTION_LEASE_MS, runRetention } from "../src/retention/run";
import { startRun } from "../src/store/reconcile";
import { insertReplay } from "../src/store/replays";
import { archivedLinesOfDay, eventStillStored, ownDay, retain, retentionDeps, storeOldEvents } from "./helpers/archive";
import { insertReceivedEvent } from "./helpers/followup";
import { storeEvent } from "./helpers/read-api";
import { DAY, HOUR, MINUTE } from "./helpers/time";

/** A row of `table` by its key column, or null. */
function rowOf(table: string, column: string, value: string) {
  return env.DB.prepare(`SELECT * FROM ${table} WHERE ${column} = ?1`).bind(value).first();
}

async function insertDelivery(eventId: string, status: "pending" | "delivered" | "failed", createdAt: number) {
  const id = newUlid(createdAt);
  await env.DB.prepare(
    `INSERT INTO deliveries (id, event_id, settlement, status, attempts, next_attempt_at, retry_until, created_at)
     VALUES (?1, ?2, ?1, ?3, 1, ?4, ?5, ?6)`,
  )
    .bind(id, eventId, status, status === "pending" ? Date.now() + HOUR : null, createdAt + 3 * DAY, createdAt)
    .run();
  return id;
}

async function insertSnapshot(orderNumber: string, fetchedAt: number) {
  await env.DB.prepare(
    `INSERT INTO resources (type, id, seller_id, status_name, data, fetched_at, last_event_id)
     VALUES ('order', ?1, '1001', 'Shipped', '{"status_name":"Shipped"}', ?2, NULL)`,
  )
    .bind(orderNumber, fetchedAt)
    .run();
}

describe("the policy table", () => {
  it("names every kind of row once, each with its age and what must hold first", () => {
    expect(RETENTION_POLICY.map((row) => row.kind)).toEqual([...ROW_KINDS]);
    for (const row of RETENTION_POLICY) {
      expect(row.age.length, row.kind).toBeGreaterThan(3);
      expect(row.first.length, row.kind).toBeGreaterThan(3);
    }
  });
});

describe("events", () => {
  it("go RETENTION_DAYS after arrival once settled a day ago, archived first", async () => {
    const day = ownDay(91);
    const [old] = await storeOldEvents(day, 1);
    const young = await storeEvent({
      at: Date.now() - 89 * DAY,
      status: "processed",
      processed_at: Date.now() - 89 * DAY,
    });

    await retain(Date.now());

    expect(await eventStillStored(old?.id ?? "")).toBeNull();
    expect((await archivedLinesOfDay(day)).map((line) => line.event.id)).toEqual([old?.id]);
    expect(await eventStillStored(young.id)).not.toBeNull();
  });

  it.each<[string, { status: "processed" | "received"; processed_at: number | null }]>([
    ["settled again less than a day ago (a replay)", { status: "processed", processed_at: Date.now() - HOUR }],
    ["still waiting for a follow-up in progress", { status: "received", processed_at: null }],
  ])("stay when %s", async (_case, state) => {
    const event = await storeEvent({ at: Date.now() - 95 * DAY, ...state });
    if (state.status === "received") {
      await env.DB.prepare("UPDATE events SET next_attempt_at = ?2 WHERE id = ?1").bind(event.id, Date.now()).run();
    }

    await retain(Date.now());

    expect(await eventStillStored(event.id)).toMatchObject({ status: state.status });
  });

  it("stay while a delivery of theirs is pending", async () => {
    const event = await storeEvent({
      at: Date.now() - 95 * DAY,
      status: "failed",
      processed_at: Date.now() - 94 * DAY,
    });
    await insertDelivery(event.id, "pending", Date.now() - DAY);

    await retain(Date.now());

    expect(await eventStillStored(event.id)).not.toBeNull();
  });

  it("still waiting with an idle follow-up are settled failed first and kept a day", async () => {
    const waiting = await insertReceivedEvent({ receivedAt: Date.now() - 95 * DAY });

    await retain(Date.now());

    expect(await eventStillStored(waiting)).toMatchObject({ status: "failed" });
  });
});

describe("self-test events", () => {
  it("go a day after arrival, whatever their status, and are never archived", async () => {
    const day = ownDay(1);
    const [old] = await storeOldEvents(day, 1, { status: "received", source: "selftest" });
    const recent = await storeEvent({ at: Date.now() - 12 * HOUR, status: "skipped", source: "selftest" });

    const outcome = await retain(Date.now());

    expect(outcome.removed.selftest_events).toBeGreaterThanOrEqual(1);
    expect(await eventStillStored(old?.id ?? "")).toBeNull();
    expect(await archivedLinesOfDay(day)).toEqual([]);
    expect(await eventStillStored(recent.id)).toMatchObject({ status: "skipped" });
  });

  it("past RETENTION_DAYS are not archived by the events kind", async () => {
    const day = ownDay(95);
    const [old] = await storeOldEvents(day, 1, { status: "skipped", source: "selftest" });

    await retain(Date.now());

    expect(await eventStillStored(old?.id ?? "")).toBeNull();
    expect(await archivedLinesOfDay(day)).toEqual([]);
  });
});

describe("snapshots", () => {
  it("go RETENTION_DAYS after their last fetch once none of the order's events is left", async () => {
    const gone = `OMPOL-GONE-${crypto.randomUUID()}`;
    const kept = `OMPOL-KEPT-${crypto.randomUUID()}`;
    const fresh = `OMPOL-FRESH-${crypto.randomUUID()}`;
    await insertSnapshot(gone, Date.now() - 91 * DAY);
    await insertSnapshot(kept, Date.now() - 91 * DAY);
    await insertSnapshot(fresh, Date.now() - 89 * DAY);
    await storeEvent({ at: Date.now() - DAY, order_number: kept, resource_id: kept });

    await retain(Date.now());

    expect(await rowOf("resources", "id", gone)).toBeNull();
    expect(await rowOf("resources", "id", kept)).not.toBeNull();
    expect(await rowOf("resources", "id", fresh)).not.toBeNull();
  });
});

describe("deliveries", () => {
  it("go RETENTION_DAYS after creation once ended; a pending one never", async () => {
    const event = await storeEvent({ at: Date.now() - DAY, status: "processed", processed_at: Date.now() - DAY });
    const delivered = await insertDelivery(event.id, "delivered", Date.now() - 91 * DAY);
    const failed = await insertDelivery(event.id, "failed", Date.now() - 91 * DAY);
    const pending = await insertDelivery(event.id, "pending", Date.now() - 91 * DAY);
    const recent = await insertDelivery(event.id, "delivered", Date.now() - 89 * DAY);

    await retain(Date.now());

    expect(await rowOf("deliveries", "id", delivered)).toBeNull();
    expect(await rowOf("deliveries", "id", failed)).toBeNull();
    expect(await rowOf("deliveries", "id", pending)).toMatchObject({ status: "pending" });
    expect(await rowOf("deliveries", "id", recent)).not.toBeNull();
  });
});

describe("reconciliation runs and bulk replays", () => {
  it("runs go RETENTION_DAYS after they started", async () => {
    const ids = [newUlid(Date.now() - 91 * DAY), newUlid(Date.now() - 89 * DAY)];
    for (const id of ids) {
      await startRun(env.DB, { id, trigger: "manual", window_from: 0, window_to: 1, started_at: Date.now() });
    }

    await retain(Date.now());

    expect(await rowOf("reconcile_runs", "id", ids[0] ?? "")).toBeNull();
    expect(await rowOf("reconcile_runs", "id", ids[1] ?? "")).not.toBeNull();
  });

  it("replays go RETENTION_DAYS after they were asked for, once finished", async () => {
    const replay = async (age: number, finished: boolean) => {
      const at = Date.now() - age;
      const id = newUlid(at);
      await insertReplay(env.DB, { id, filters: "{}", matched: 1, cursor: null, upper_id: id, created_at: at });
      if (finished) await env.DB.prepare("UPDATE replays SET finished_at = ?2 WHERE id = ?1").bind(id, at).run();
      return id;
    };
    const oldFinished = await replay(91 * DAY, true);
    const oldUnfinished = await replay(91 * DAY, false);
    const recentFinished = await replay(89 * DAY, true);

    await retain(Date.now());

    expect(await rowOf("replays", "id", oldFinished)).toBeNull();
    expect(await rowOf("replays", "id", oldUnfinished)).not.toBeNull();
    expect(await rowOf("replays", "id", recentFinished)).not.toBeNull();
  });
});

describe("alerts", () => {
  const insert = (id: string, createdAt: number, status: "pending" | "sent") =>
    env.DB.prepare(
      "INSERT INTO alerts (id, kind, subject, data, created_at, status, attempts) VALUES (?1, 'health.degraded', '', '{}', ?2, ?3, 1)",
    )
      .bind(id, createdAt, status)
      .run();

  it("go RETENTION_DAYS after creation, sent or not", async () => {
    await insert("old-sent", Date.now() - 91 * DAY, "sent");
    await insert("old-pending", Date.now() - 91 * DAY, "pending");

    const outcome = await retain(Date.now());

    expect(outcome.failures).toEqual([]);
    expect(outcome.removed.alerts).toBe(2);
    expect(await rowOf("alerts", "id", "old-sent")).toBeNull();
    expect(await rowOf("alerts", "id", "old-pending")).toBeNull();
  });

  it("stay while younger than RETENTION_DAYS", async () => {
    await insert("recent", Date.now() - 89 * DAY, "sent");

    const outcome = await retain(Date.now());

    expect(outcome.removed.alerts ?? 0).toBe(0);
    expect(await rowOf("alerts", "id", "recent")).not.toBeNull();
  });
});

describe("archive records", () => {
  async function record(key: string, state: "writing" | "written", runId: string) {
    await env.ARCHIVE.put(key, "x");
    await env.DB.prepare(
      `INSERT INTO archive_objects (key, day, first_id, last_id, count, bytes, created_at, state, run_id)
       VALUES (?1, '2020-01-01', 'a', 'b', 1, 1, ?2, ?3, ?4)`,
    )
      .bind(key, Date.now() - DAY, state, runId)
      .run();
  }

  it("an unfinished one of an earlier run goes, its object first; a written one stays", async () => {
    const unfinished = `events/2020/01/01/unfinished-${crypto.randomUUID()}.ndjson.gz`;
    const written = `events/2020/01/01/written-${crypto.randomUUID()}.ndjson.gz`;
    await record(unfinished, "writing", newUlid(Date.now() - DAY));
    await record(written, "written", newUlid(Date.now() - DAY));

    await retain(Date.now());

    expect(await rowOf("archive_objects", "key", unfinished)).toBeNull();
    expect(await env.ARCHIVE.head(unfinished)).toBeNull();
    expect(await rowOf("archive_objects", "key", written)).toMatchObject({ state: "written" });
    expect(await env.ARCHIVE.head(written)).not.toBeNull();
  });

  it("an unfinished one is left alone without the binding (its object cannot be deleted)", async () => {
    const unfinished = `events/2020/01/01/kept-${crypto.randomUUID()}.ndjson.gz`;
    await record(unfinished, "writing", newUlid(Date.now() - DAY));

    await retain(Date.now(), { archive: null });

    expect(await rowOf("archive_objects", "key", unfinished)).not.toBeNull();
    await retain(Date.now());
    expect(await rowOf("archive_objects", "key", unfinished)).toBeNull();
  });
});

describe("retention runs and their lease", () => {
  it("runs go a week after they started, once finished", async () => {
    const old = await retain(Date.now() - 8 * DAY);
    const recent = await retain(Date.now() - DAY);

    await retain(Date.now());

    expect(await rowOf("retention_runs", "id", old.runId)).toBeNull();
    expect(await rowOf("retention_runs", "id", recent.runId)).toMatchObject({ status: "done" });
  });

  it("does not start while another run holds the lease, and takes over one whose lease ran out", async () => {
    const now = Date.now();
    const holder = newUlid(now - MINUTE);
    await env.DB.prepare(
      "INSERT INTO retention_runs (id, started_at, status, archive) VALUES (?1, ?2, 'running', 'idle')",
    )
      .bind(holder, now - MINUTE)
      .run();
    const event = await storeEvent({ at: now - 95 * DAY, status: "failed", processed_at: now - 94 * DAY });

    expect(await runRetention(retentionDeps(), now)).toEqual({ ran: false });
    expect(await eventStillStored(event.id)).not.toBeNull();

    const later = now - MINUTE + RETENTION_LEASE_MS + 1;
    expect(await runRetention(retentionDeps(), later)).toMatchObject({ ran: true });
    expect(await rowOf("retention_runs", "id", holder)).toMatchObject({
      status: "failed",
      error: expect.stringContaining("lease"),
    });
    expect(await eventStillStored(event.id)).toBeNull();
  });
});
