/**
 * GET /api/failures (failed events grouped by error, over the most recent ones) and the bulk
 * replay of one group (`error_group`): exactly the group's failed events, through the chunks of
 * any bulk replay, and the progress that says settled, failed again and waiting.
 */
import { env, exports } from "cloudflare:workers";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { GROUPED_FAILURES } from "../src/events/error-groups";
import { ADMIN_TOKEN, apiGet, BASE, json, READ_TOKEN, storeEvent } from "./helpers/read-api";

type Group = { key: string; kind: string; message: string; count: number; samples: { id: string }[] };
type Failures = { groups: Group[]; recent: { id: string }[]; grouped: number; more: boolean };

beforeEach(async () => {
  await env.DB.batch([env.DB.prepare("DELETE FROM events"), env.DB.prepare("DELETE FROM replays")]);
});

afterEach(() => {
  vi.restoreAllMocks();
});

function postReplay(body: unknown, token = ADMIN_TOKEN) {
  return exports.default.fetch(
    new Request(`${BASE}/api/events/replay`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: JSON.stringify(body),
    }),
  );
}

const failed = (lastError: string, at = Date.now()) =>
  storeEvent({ status: "failed", last_error: lastError, processed_at: at, attempts: 9, at: at - 1000 });

async function statusOf(id: string) {
  return (await env.DB.prepare("SELECT status FROM events WHERE id = ?1").bind(id).first<{ status: string }>())?.status;
}

describe("GET /api/failures", () => {
  it("needs a token", async () => {
    expect((await apiGet("/api/failures", null)).status).toBe(401);
  });

  it("groups the failures by normalised error, the largest group first", async () => {
    await failed("HTTP 404 from Omisell: Order OM1 not found");
    await failed("HTTP 404 from Omisell: Order OM2 not found");
    await failed("network error: timed out after 10000 ms");
    await storeEvent({ status: "processed" });
    const body = await json<Failures>(await apiGet("/api/failures"));
    expect(body.grouped).toBe(3);
    expect(body.more).toBe(false);
    expect(body.groups.map((g) => [g.kind, g.message, g.count])).toEqual([
      ["HTTP 404 from Omisell", "Order # not found", 2],
      ["network error", "timed out after # ms", 1],
    ]);
    expect(body.groups[0]?.key).toMatch(/^[0-9a-f]{8}$/);
    expect(body.recent).toHaveLength(3);
  });

  it("groups only the most recent failures, and says older ones exist", async () => {
    const now = Date.now();
    const statements = Array.from({ length: GROUPED_FAILURES + 1 }, (_, i) =>
      env.DB.prepare(
        `INSERT INTO events (id, dedupe_key, event, category, status, received_at, processed_at, payload, last_error, source)
         VALUES (?1, ?2, 'order.created', 'order', 'failed', ?3, ?3, '{}', ?4, 'push')`,
      ).bind(
        `01K${String(i).padStart(23, "0")}`,
        `bulk-fail-${i}`,
        now - i * 1000,
        i === GROUPED_FAILURES ? "oldest: alone" : "boom",
      ),
    );
    await env.DB.batch(statements);
    const body = await json<Failures>(await apiGet("/api/failures"));
    expect(body.grouped).toBe(GROUPED_FAILURES);
    expect(body.more).toBe(true);
    expect(body.groups.map((g) => g.message)).toEqual(["boom"]);
  });
});

describe("POST /api/events/replay with error_group", () => {
  it("replays exactly that group's failed events, and its progress splits settled, failed again, waiting", async () => {
    vi.spyOn(env.FOLLOWUPS, "sendBatch").mockResolvedValue(undefined as never);
    const group = [await failed("HTTP 500 from Omisell: oops 1"), await failed("HTTP 500 from Omisell: oops 2")];
    const other = await failed("HTTP 401 from Omisell: bad key");
    const { groups } = await json<Failures>(await apiGet("/api/failures"));
    const key = groups.find((g) => g.kind === "HTTP 500 from Omisell")?.key;

    const res = await postReplay({ error_group: key });

    expect(res.status).toBe(202);
    const started = await json<{ replay_id: string; matched: number }>(res);
    expect(started.matched).toBe(2);
    expect(await statusOf(group[0]?.id ?? "")).toBe("received");
    expect(await statusOf(group[1]?.id ?? "")).toBe("received");
    expect(await statusOf(other.id)).toBe("failed");

    await env.DB.prepare("UPDATE events SET status = 'processed' WHERE id = ?1").bind(group[0]?.id).run();
    await env.DB.prepare("UPDATE events SET status = 'failed' WHERE id = ?1").bind(group[1]?.id).run();
    const progress = await json(await apiGet(`/api/replays/${started.replay_id}`));
    expect(progress).toMatchObject({
      matched: 2,
      queued: 2,
      done: 2,
      settled: 1,
      failed_again: 1,
      waiting: 0,
      finished: true,
      filters: { status: "failed", error_group: key, events: 2 },
    });
  });

  it("answers 404 for a group no recent failure is in", async () => {
    await failed("boom");
    const res = await postReplay({ error_group: "0000beef" });
    expect(res.status).toBe(404);
  });

  it.each([
    ["with another filter", { error_group: "0000beef", seller_id: "1" }, "error_group"],
    ["with another status", { error_group: "0000beef", status: "processed" }, "error_group"],
    ["that is not a key", { error_group: "boom" }, "error_group"],
  ])("refuses an error_group %s with 400 naming it", async (_case, body, field) => {
    const res = await postReplay(body);
    expect(res.status).toBe(400);
    expect(Object.keys((await json<{ fields: Record<string, string> }>(res)).fields)).toContain(field);
  });

  it("refuses a read token with 403", async () => {
    expect((await postReplay({ error_group: "0000beef" }, READ_TOKEN)).status).toBe(403);
  });
});
