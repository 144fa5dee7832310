/**
 * The reconciliation endpoints over HTTP: who may call them, what a request may ask for (each
 * bad field named in a 400), the 202 that records a manual run without listing anything, and the
 * runs listed newest first in pages.
 */
import { env, exports } from "cloudflare:workers";
import { beforeEach, describe, expect, it } from "vitest";
import { newUlid } from "../src/lib/ids";
import { getRun, startRun } from "../src/store/reconcile";
import { ADMIN_TOKEN, apiGet, BASE, expectInvalidField, READ_TOKEN } from "./helpers/read-api";
import { recordCronRun, recordRun } from "./helpers/reconcile";
import { DAY, HOUR, MINUTE } from "./helpers/time";

function postReconcile(body: unknown, token: string | null = ADMIN_TOKEN) {
  const headers = new Headers({ "content-type": "application/json" });
  if (token !== null) headers.set("authorization", `Bearer ${token}`);
  const text = typeof body === "string" ? body : JSON.stringify(body);
  return exports.default.fetch(new Request(`${BASE}/api/reconcile`, { method: "POST", headers, body: text }));
}

type RunPage = { runs: { id: string; status: string; window_from: number }[]; next_cursor: string | null };

beforeEach(async () => {
  await env.DB.prepare("DELETE FROM reconcile_runs").run();
});

describe("POST /api/reconcile", () => {
  it("answers 401 without a token", async () => {
    const res = await postReconcile({ from: 1, to: 2 }, null);
    expect(res.status).toBe(401);
    expect(await res.json()).toEqual({ error: "unauthorized" });
  });

  it("answers 403 to a read token, recording nothing", async () => {
    const res = await postReconcile({ from: Date.now() - HOUR, to: Date.now() }, READ_TOKEN);
    expect(res.status).toBe(403);
    expect((await env.DB.prepare("SELECT COUNT(*) AS n FROM reconcile_runs").first<{ n: number }>())?.n).toBe(0);
  });

  it("answers 202 with the run id and records the run running with its range, listing nothing yet", async () => {
    const from = Date.now() - 3 * HOUR;
    const to = Date.now();
    const res = await postReconcile({ from, to });

    expect(res.status).toBe(202);
    const { run_id } = (await res.json()) as { run_id: string };
    expect(await getRun(env.DB, run_id)).toMatchObject({
      trigger: "manual",
      status: "running",
      window_from: from,
      window_to: to,
      orders_listed: 0,
      listed_to: null,
    });
  });

  it("reads ISO 8601 times (UTC without an offset)", async () => {
    const res = await postReconcile({ from: "2026-11-28T00:00:00Z", to: "2026-11-28T06:00" });
    expect(res.status).toBe(202);
    const { run_id } = (await res.json()) as { run_id: string };
    expect(await getRun(env.DB, run_id)).toMatchObject({
      window_from: Date.UTC(2026, 10, 28, 0),
      window_to: Date.UTC(2026, 10, 28, 6),
    });
  });

  it("accepts a range of exactly 15 days", async () => {
    const to = Date.now();
    expect((await postReconcile({ from: to - 15 * DAY, to })).status).toBe(202);
  });

  it.each([
    ["from is missing", { to: 2_000 }, "from"],
    ["to is missing", { from: 1_000 }, "to"],
    ["from is not a time", { from: "yesterday", to: 2_000 }, "from"],
    ["to is a negative number", { from: 1_000, to: -5 }, "to"],
    ["from is a fraction of a millisecond", { from: 1.5, to: 2_000 }, "from"],
    ["to is not after from", { from: 2_000, to: 2_000 }, "to"],
    ["to is before from", { from: 3_000, to: 2_000 }, "to"],
    ["the range exceeds 15 days", { from: 0, to: 15 * DAY + 1 }, "to"],
    ["an unknown field is sent", { from: 1_000, to: 2_000, seller_id: "1" }, "seller_id"],
  ])("answers 400 naming the field when %s", async (_case, body, field) => {
    await expectInvalidField(await postReconcile(body), field);
    expect((await env.DB.prepare("SELECT COUNT(*) AS n FROM reconcile_runs").first<{ n: number }>())?.n).toBe(0);
  });

  it("answers 400 invalid_request naming body to a body that is not JSON", async () => {
    const res = await postReconcile("{from: yesterday");
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({ error: "invalid_request", fields: { body: "not valid JSON" } });
  });

  it("answers 415 to a body sent without a JSON content type, recording nothing", async () => {
    const res = await exports.default.fetch(
      new Request(`${BASE}/api/reconcile`, {
        method: "POST",
        headers: { authorization: `Bearer ${ADMIN_TOKEN}`, "content-type": "text/plain" },
        body: JSON.stringify({ from: 1_000, to: 2_000 }),
      }),
    );
    expect(res.status).toBe(415);
    expect(await res.json()).toMatchObject({ error: "unsupported_media_type", fields: { body: expect.any(String) } });
    expect((await env.DB.prepare("SELECT COUNT(*) AS n FROM reconcile_runs").first<{ n: number }>())?.n).toBe(0);
  });

  it("answers 400 naming to when the range ends in the future, recording nothing", async () => {
    const now = Date.now();
    const res = await postReconcile({ from: now - HOUR, to: now + 10 * MINUTE });
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({
      error: "invalid_request",
      fields: { to: "must not be in the future (at most 1 minute past the worker's clock)" },
    });
    expect((await env.DB.prepare("SELECT COUNT(*) AS n FROM reconcile_runs").first<{ n: number }>())?.n).toBe(0);
  });

  it("refuses a range years ahead, as a typo would ask", async () => {
    await expectInvalidField(await postReconcile({ from: "2030-01-01", to: "2030-01-02" }), "to");
  });

  it("accepts a range ending within a minute past the worker's clock (a caller's clock a little ahead)", async () => {
    const now = Date.now();
    expect((await postReconcile({ from: now - HOUR, to: now + 30_000 })).status).toBe(202);
  });

  it("answers 400 to a JSON body that is not an object", async () => {
    const res = await postReconcile([1, 2]);
    expect(res.status).toBe(400);
  });
});

describe("GET /api/reconcile/runs", () => {
  async function storeRuns(count: number): Promise<string[]> {
    const now = Date.now();
    const ids: string[] = [];
    for (let i = 0; i < count; i++) {
      const at = now - (count - i) * MINUTE;
      const id = newUlid(at);
      await startRun(env.DB, { id, trigger: "cron", window_from: at - HOUR, window_to: at, started_at: at });
      ids.push(id);
    }
    return ids;
  }

  it("answers 401 without a token", async () => {
    expect((await apiGet("/api/reconcile/runs", null)).status).toBe(401);
  });

  it("lists runs newest first with every field", async () => {
    const ids = await storeRuns(3);
    const res = await apiGet("/api/reconcile/runs");

    expect(res.status).toBe(200);
    const page = (await res.json()) as RunPage;
    expect(page.runs.map((run) => run.id)).toEqual([...ids].reverse());
    expect(Object.keys(page.runs[0] ?? {})).toEqual(
      expect.arrayContaining([
        "id",
        "window_from",
        "window_to",
        "started_at",
        "finished_at",
        "status",
        "orders_listed",
        "missed",
        "error",
      ]),
    );
    expect(page.next_cursor).toBeNull();
  });

  it("pages with limit and cursor, never repeating a run", async () => {
    const ids = await storeRuns(5);
    const first = (await (await apiGet("/api/reconcile/runs?limit=2")).json()) as RunPage;
    const second = (await (await apiGet(`/api/reconcile/runs?limit=2&cursor=${first.next_cursor}`)).json()) as RunPage;
    const third = (await (await apiGet(`/api/reconcile/runs?limit=2&cursor=${second.next_cursor}`)).json()) as RunPage;

    expect([...first.runs, ...second.runs, ...third.runs].map((run) => run.id)).toEqual([...ids].reverse());
    expect(third.next_cursor).toBeNull();
  });

  it.each([
    ["limit=0", "limit"],
    ["limit=201", "limit"],
    ["limit=many", "limit"],
    ["cursor=not-a-cursor!", "cursor"],
    ["status=done", "status"],
  ])("answers 400 naming the parameter for %s", async (query, field) => {
    await expectInvalidField(await apiGet(`/api/reconcile/runs?${query}`), field);
  });
});

describe("GET /api/stats push_coverage", () => {
  const recordDoneRun = (ordersListed: number, missed: number, at: number) =>
    recordCronRun({ status: "done", ordersListed, missed, at, windowFrom: at - HOUR });

  it("is null while reconciliation has listed nothing in the last 24 hours", async () => {
    await recordDoneRun(50, 5, Date.now() - 25 * HOUR);
    const stats = (await (await apiGet("/api/stats")).json()) as { push_coverage: number | null };
    expect(stats.push_coverage).toBeNull();
  });

  it("is the share of the order changes listed in the last 24 hours that came with a push", async () => {
    await recordDoneRun(30, 10, Date.now() - 2 * HOUR);
    await recordDoneRun(10, 0, Date.now() - HOUR);
    await recordDoneRun(100, 100, Date.now() - 25 * HOUR);
    const stats = (await (await apiGet("/api/stats")).json()) as { push_coverage: number | null };
    expect(stats.push_coverage).toBeCloseTo(30 / 40);
  });

  it("counts a manual run once it is done, as the README's drop-and-reconcile walk-through expects", async () => {
    await recordRun("manual", { status: "done", ordersListed: 20, missed: 4, at: Date.now() - 10 * MINUTE });
    await recordRun("manual", { status: "failed", ordersListed: 50, missed: 50, at: Date.now() - 5 * MINUTE });
    const stats = (await (await apiGet("/api/stats")).json()) as { push_coverage: number | null };
    expect(stats.push_coverage).toBeCloseTo(16 / 20);
  });
});
