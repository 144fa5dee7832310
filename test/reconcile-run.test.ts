/**
 * Reconciliation runs against D1, the real follow-up queue (its sends recorded) and an in-memory
 * order list: which changes become `reconcile.order_changed` events, that repeats add nothing,
 * that the checkpoint moves only past completed windows, and the runs recorded.
 */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { newUlid } from "../src/lib/ids";
import { fail } from "../src/lib/result";
import { readMissedPushesPerDay, readPushCoverage } from "../src/reconcile/figures";
import { startManualRun } from "../src/reconcile/manual";
import { runReconciliation } from "../src/reconcile/run";
import { MAX_WINDOWS_PER_RUN } from "../src/reconcile/windows";
import { getRun, listRuns, startRun } from "../src/store/reconcile";
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

describe("the cron's reconciliation", () => {
  it("stores exactly the 10 changes no push told us about, each sent to the follow-up", async () => {
    const now = Date.now();
    await advanceCheckpoint(env.DB, now - 15 * MINUTE, now);
    const { orders, numbers } = await thirtyChangesTwentyPushed(now - 20 * MINUTE);
    const sent = recordFollowups();

    const outcome = await runReconciliation(env, orderListStub(orders, { pageSize: 7 }), now);

    expect(outcome).toMatchObject({ ran: true, run: { status: "done", ordersListed: 30, missed: 10, added: 10 } });
    const events = await reconciledEventsOf(numbers);
    expect(events.map((event) => event.order_number).sort()).toEqual(numbers.slice(20).sort());
    const first = events[0];
    expect(first).toMatchObject({
      event: "reconcile.order_changed",
      category: "order",
      status: "received",
      source: "reconcile",
      resource_type: "order",
      resource_id: first?.order_number,
    });
    const listed = orders.find((order) => order.omisell_order_number === first?.order_number);
    expect(first?.dedupe_key).toBe(`reconcile:${first?.order_number}:${listed?.updated_time}`);
    expect(JSON.parse(String(first?.payload))).toEqual(listed);
    expect(sent.map((message) => message.eventId).sort()).toEqual(events.map((event) => event.id).sort());
    expect(sent.every((message) => Object.keys(message).sort().join() === "eventId,reason")).toBe(true);
  });

  it("adds nothing when the same window is listed again", async () => {
    const now = Date.now();
    await advanceCheckpoint(env.DB, now - 15 * MINUTE, now);
    const { orders, numbers } = await thirtyChangesTwentyPushed(now - 20 * MINUTE);
    const sent = recordFollowups();
    await runReconciliation(env, orderListStub(orders), now);
    await env.DB.prepare("UPDATE reconcile_checkpoint SET checkpoint_at = ?1")
      .bind(now - 15 * MINUTE)
      .run();

    const again = await runReconciliation(env, orderListStub(orders), now + 15 * MINUTE);

    expect(again).toMatchObject({ ran: true, run: { status: "done", ordersListed: 30, missed: 10, added: 0 } });
    expect(await reconciledEventsOf(numbers)).toHaveLength(10);
    expect(sent).toHaveLength(10);
  });

  it("records the run and moves the checkpoint to the end of the window", async () => {
    const now = Date.now();
    await advanceCheckpoint(env.DB, now - 15 * MINUTE, now);
    recordFollowups();

    await runReconciliation(env, orderListStub([]), now);

    expect(await getCheckpoint(env.DB)).toBe(now - 2 * MINUTE);
    const [run] = await listRuns(env.DB, 10);
    expect(run).toMatchObject({
      trigger: "cron",
      status: "done",
      window_from: now - 25 * MINUTE,
      window_to: now - 2 * MINUTE,
      orders_listed: 0,
      missed: 0,
      error: null,
      started_at: now,
      listed_to: now - 2 * MINUTE,
    });
    expect(run?.finished_at).toBeGreaterThanOrEqual(now);
  });

  it("records the windows of one invocation as one run over their whole range", async () => {
    const now = Date.now();
    await advanceCheckpoint(env.DB, now - 4 * HOUR, now);
    recordFollowups();

    const outcome = await runReconciliation(env, orderListStub([]), now);

    const runs = await listRuns(env.DB, 10);
    expect(runs).toHaveLength(1);
    expect(runs[0]).toMatchObject({
      status: "done",
      window_from: now - 4 * HOUR - 10 * MINUTE,
      window_to: now - 2 * MINUTE,
      listed_to: now - 2 * MINUTE,
    });
    expect(outcome).toMatchObject({ ran: true, run: { windowsListed: 5 } });
  });

  it("records a first run, with no checkpoint yet, as one run over the last day's windows, not one per window", async () => {
    const now = Date.now();
    recordFollowups();

    await runReconciliation(env, orderListStub([]), now);

    const runs = await listRuns(env.DB, 20);
    expect(runs).toHaveLength(1);
    expect(runs[0]).toMatchObject({ trigger: "cron", status: "done", window_from: now - DAY });
  });

  it("records a failing page as a failed run and leaves the checkpoint where it was", async () => {
    const now = Date.now();
    await advanceCheckpoint(env.DB, now - 15 * MINUTE, now);
    const { orders } = await thirtyChangesTwentyPushed(now - 20 * MINUTE);
    recordFollowups();

    const outcome = await runReconciliation(env, orderListStub(orders, { pageSize: 10, failOnPage: 2 }), now);

    expect(outcome).toMatchObject({ ran: true, run: { status: "failed" } });
    expect(await getCheckpoint(env.DB)).toBe(now - 15 * MINUTE);
    const [run] = await listRuns(env.DB, 1);
    expect(run).toMatchObject({ status: "failed", listed_to: null });
    expect(run?.error).toMatch(/^window 1 of 1 \(.* UTC\): order list page 2: HTTP 500 from Omisell$/);
  });

  it("stops at the first failed window of a catch-up, keeping the windows before it", async () => {
    const now = Date.now();
    const checkpoint = now - 5 * HOUR;
    await advanceCheckpoint(env.DB, checkpoint, now);
    recordFollowups();
    let calls = 0;
    const listOrders = orderListStub([]).listOrders;
    const failingThird = {
      listOrders: async (path: string, query: Record<string, string>) => {
        calls += 1;
        return calls === 3 ? fail({ error: "timeout" }) : listOrders(path, query);
      },
    };

    const outcome = await runReconciliation(env, failingThird, now);

    expect(outcome).toMatchObject({ ran: true, run: { status: "failed", windowsListed: 2 } });
    expect(await getCheckpoint(env.DB)).toBe(checkpoint - 10 * MINUTE + 2 * HOUR);
    const [run] = await listRuns(env.DB, 1);
    expect(run).toMatchObject({ status: "failed", listed_to: checkpoint - 10 * MINUTE + 2 * HOUR });
    expect(run?.error).toMatch(/^window 3 of 6 /);
  });

  it("catches up after days a bounded number of windows per run", async () => {
    const now = Date.now();
    const checkpoint = now - 3 * DAY;
    await advanceCheckpoint(env.DB, checkpoint, now);
    recordFollowups();

    const outcome = await runReconciliation(env, orderListStub([]), now);

    expect(outcome).toMatchObject({ ran: true, run: { status: "done", windowsListed: MAX_WINDOWS_PER_RUN } });
    expect(await listRuns(env.DB, 20)).toHaveLength(1);
    expect(await getCheckpoint(env.DB)).toBe(checkpoint - 10 * MINUTE + MAX_WINDOWS_PER_RUN * HOUR);
  });

  it("does nothing until a period has passed since the last cron run", async () => {
    const now = Date.now();
    await advanceCheckpoint(env.DB, now - 15 * MINUTE, now);
    recordFollowups();
    const stub = orderListStub([]);
    await runReconciliation(env, stub, now);

    expect(await runReconciliation(env, stub, now + 5 * MINUTE)).toEqual({ ran: false, reason: "not_due" });
    expect(await runReconciliation(env, stub, now + 15 * MINUTE)).toMatchObject({ ran: true });
  });

  it("does nothing when RECONCILE_EVERY_MINUTES is 0", async () => {
    const stub = orderListStub([]);
    const off = { ...env, RECONCILE_EVERY_MINUTES: "0" } as Env;
    expect(await runReconciliation(off, stub, Date.now())).toEqual({ ran: false, reason: "off" });
    expect(stub.calls).toHaveLength(0);
  });

  it("marks a cron run left running for over an hour as failed", async () => {
    const now = Date.now();
    const id = newUlid(now - 2 * HOUR);
    await startRun(env.DB, {
      id,
      trigger: "cron",
      window_from: now - DAY,
      window_to: now - DAY + HOUR,
      started_at: now - 2 * HOUR,
    });
    recordFollowups();

    await runReconciliation(env, orderListStub([]), now);

    expect(await getRun(env.DB, id)).toMatchObject({ status: "failed", error: expect.stringContaining("abandoned") });
  });

  it("leaves a manual run left running alone: the cron continues it", async () => {
    const now = Date.now();
    const id = await startManualRun(env, now - 2 * DAY, now - DAY, now - 2 * HOUR);
    recordFollowups();

    await runReconciliation(env, orderListStub([]), now);

    expect(await getRun(env.DB, id)).toMatchObject({ status: "running", error: null });
  });
});

describe("reconciliation figures", () => {
  it("gives push coverage over the runs of the last day, null when nothing was listed", async () => {
    const now = Date.now();
    expect(await readPushCoverage(env.DB, now)).toBeNull();
    await advanceCheckpoint(env.DB, now - 15 * MINUTE, now);
    const { orders } = await thirtyChangesTwentyPushed(now - 20 * MINUTE);
    recordFollowups();
    await runReconciliation(env, orderListStub(orders), now);

    expect(await readPushCoverage(env.DB, now)).toBeCloseTo(20 / 30);
    expect(await readPushCoverage(env.DB, now + DAY + MINUTE)).toBeNull();
  });

  it("counts the missed pushes of each of the last 7 days", async () => {
    const now = Date.now();
    await advanceCheckpoint(env.DB, now - 15 * MINUTE, now);
    const { orders } = await thirtyChangesTwentyPushed(now - 20 * MINUTE);
    recordFollowups();
    const before = await readMissedPushesPerDay(env.DB, now);
    await runReconciliation(env, orderListStub(orders), now);

    const after = await readMissedPushesPerDay(env.DB, now);

    expect(after).toHaveLength(7);
    expect(after.at(-1)?.day).toBe(new Date(now).toISOString().slice(0, 10));
    expect((after.at(-1)?.missed ?? 0) - (before.at(-1)?.missed ?? 0)).toBe(10);
  });
});
