/**
 * Manual reconciliation runs against D1 and an in-memory order list: recorded `running`, listed a
 * few windows per invocation from where the last one stopped, ended `done` (or `failed`) with the
 * counts of all their windows, never moving the checkpoint, never counting a window twice.
 */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { advanceManualRuns, startManualRun } from "../src/reconcile/manual";
import { getRun } from "../src/store/reconcile";
import { advanceCheckpoint, getCheckpoint } from "../src/store/reconcile-progress";
import {
  cleanReconciliationEachTest,
  orderListStub,
  reconciledEventsOf,
  recordFollowups,
  thirtyChangesTwentyPushed,
} from "./helpers/reconcile";
import { DAY, HOUR, MINUTE } from "./helpers/time";

cleanReconciliationEachTest();

describe("a manual reconciliation", () => {
  it("is recorded running with its range before anything is listed", async () => {
    const now = Date.now();
    const id = await startManualRun(env, now - 3 * HOUR, now, now);

    expect(await getRun(env.DB, id)).toMatchObject({
      trigger: "manual",
      status: "running",
      window_from: now - 3 * HOUR,
      window_to: now,
      listed_to: null,
      orders_listed: 0,
    });
  });

  it("is listed over several invocations, continuing where the last one stopped", async () => {
    const now = Date.now();
    // Not on a window boundary: a change there is listed by both windows (bounds are inclusive).
    const { orders, numbers } = await thirtyChangesTwentyPushed(now - 2 * HOUR - 17 * MINUTE);
    recordFollowups();
    const stub = orderListStub(orders);
    const id = await startManualRun(env, now - 30 * HOUR, now, now);

    const first = await advanceManualRuns(env, stub, now);
    const halfway = await getRun(env.DB, id);
    await advanceManualRuns(env, stub, now + MINUTE);
    await advanceManualRuns(env, stub, now + 2 * MINUTE);

    expect(first).toEqual([{ runId: id, windows: 12, status: "running" }]);
    expect(halfway).toMatchObject({ status: "running", listed_to: now - 18 * HOUR, orders_listed: 0 });
    expect(stub.calls).toHaveLength(30);
    expect(await getRun(env.DB, id)).toMatchObject({
      status: "done",
      listed_to: now,
      orders_listed: 30,
      missed: 10,
      error: null,
    });
    expect(await reconciledEventsOf(numbers)).toHaveLength(10);
  });

  it("stores the missed changes once when the range is asked for again, and leaves the checkpoint alone", async () => {
    const now = Date.now();
    await advanceCheckpoint(env.DB, now - 15 * MINUTE, now);
    const { orders, numbers } = await thirtyChangesTwentyPushed(now - 20 * MINUTE);
    const sent = recordFollowups();
    const stub = orderListStub(orders);

    const first = await startManualRun(env, now - 3 * HOUR, now, now);
    await advanceManualRuns(env, stub, now);
    const second = await startManualRun(env, now - 3 * HOUR, now, now + MINUTE);
    await advanceManualRuns(env, stub, now + MINUTE);

    expect(await getRun(env.DB, first)).toMatchObject({ status: "done", orders_listed: 30, missed: 10 });
    expect(await getRun(env.DB, second)).toMatchObject({ status: "done", orders_listed: 30, missed: 10 });
    expect(await reconciledEventsOf(numbers)).toHaveLength(10);
    expect(sent).toHaveLength(10);
    expect(await getCheckpoint(env.DB)).toBe(now - 15 * MINUTE);
  });

  it("ends failed with the error when a window cannot be listed", async () => {
    const now = Date.now();
    recordFollowups();
    const id = await startManualRun(env, now - 3 * HOUR, now, now);

    await advanceManualRuns(env, orderListStub([], { failOnPage: 1 }), now);

    expect(await getRun(env.DB, id)).toMatchObject({
      status: "failed",
      listed_to: null,
      error: expect.stringContaining("HTTP 500"),
    });
    expect((await getRun(env.DB, id))?.finished_at).toBeGreaterThanOrEqual(now);
  });

  it("counts a window once when two invocations list it at the same time", async () => {
    const now = Date.now();
    const { orders } = await thirtyChangesTwentyPushed(now - 20 * MINUTE);
    recordFollowups();
    const stub = orderListStub(orders);
    const id = await startManualRun(env, now - HOUR, now, now);

    await Promise.all([advanceManualRuns(env, stub, now), advanceManualRuns(env, stub, now)]);

    expect(await getRun(env.DB, id)).toMatchObject({ status: "done", orders_listed: 30, missed: 10 });
  });

  it("refuses a range over 15 days before recording anything", async () => {
    const now = Date.now();
    await expect(startManualRun(env, now - 16 * DAY, now, now)).rejects.toThrow(/15 days/);
    const row = await env.DB.prepare("SELECT COUNT(*) AS n FROM reconcile_runs").first<{ n: number }>();
    expect(row?.n).toBe(0);
  });
});
