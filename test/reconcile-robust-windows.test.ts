/**
 * Reconciliation windows that never block the ones after them: an unreadable row is skipped and
 * recorded, a window past the page cap is split in halves, a window failing three times is
 * skipped as a gap (`reconcile_gap` in /health/pipeline) that a manual run over it fills.
 */
import { env } from "cloudflare:workers";
import { beforeEach, describe, expect, it } from "vitest";
import { checkPipelineHealth } from "../src/health/pipeline";
import { fail, ok } from "../src/lib/result";
import type { ListOrdersCall } from "../src/omisell/order-list-walk";
import { readPipelineHealth } from "../src/read-model/health";
import { readRunPage } from "../src/read-model/reconcile";
import { MAX_WINDOW_FAILURES } from "../src/reconcile/gaps";
import { advanceManualRuns, startManualRun } from "../src/reconcile/manual";
import { runReconciliation } from "../src/reconcile/run";
import { getRun } from "../src/store/reconcile";
import { advanceCheckpoint, getCheckpoint, listGaps } from "../src/store/reconcile-progress";
import { newOrderNumber } from "./helpers/followup";
import {
  cleanReconciliationEachTest,
  listedOrder,
  orderListStub,
  reconciledEventsOf,
  recordFollowups,
} from "./helpers/reconcile";
import { HOUR, MINUTE } from "./helpers/time";

cleanReconciliationEachTest();
beforeEach(async () => {
  await env.DB.prepare("DELETE FROM reconcile_gaps").run();
});

/** A period after `now`: the next cron run that reconciles. */
const PERIOD = 15 * MINUTE;

describe("an unreadable row", () => {
  it("is skipped and recorded in the run, and the window completes with the rest of the page", async () => {
    const now = Date.now();
    await advanceCheckpoint(env.DB, now - 15 * MINUTE, now);
    recordFollowups();
    const good = [listedOrder(newOrderNumber(), now - 10 * MINUTE), listedOrder(newOrderNumber(), now - 9 * MINUTE)];
    const broken = { ...listedOrder("OM-BROKEN", now - 9 * MINUTE), updated_time: "yesterday-ish" };
    const listOrders: ListOrdersCall = async () =>
      ok({ count: 3, next: null, results: [good[0], broken, { status_name: "Shipped" }, good[1]] });

    const outcome = await runReconciliation(env, { listOrders }, now);

    expect(outcome).toMatchObject({ ran: true, run: { status: "done", ordersListed: 2, skippedRows: 2 } });
    expect(await getCheckpoint(env.DB)).toBe(now - 2 * MINUTE);
    const numbers = good.map((order) => order.omisell_order_number);
    expect(await reconciledEventsOf(numbers)).toHaveLength(2);
    const page = await readRunPage(env, { limit: 1 });
    expect(page.runs[0]).toMatchObject({
      status: "done",
      skipped_rows: 2,
      skipped_samples: [
        { page: 1, index: 1, reason: "updated_time is not a time", raw: JSON.stringify(broken) },
        { page: 1, index: 2, reason: "no omisell_order_number", raw: '{"status_name":"Shipped"}' },
      ],
    });
  });
});

describe("a window past the page cap", () => {
  it("is listed again in halves, down to what fits, and completes", async () => {
    const now = Date.now();
    await advanceCheckpoint(env.DB, now - 15 * MINUTE, now);
    recordFollowups();
    // 20 changes a minute apart in the window's 23 minutes, 2 per page, at most 3 pages a walk: the
    // whole window (10 pages) and its halves (6 and 5) are too long; its quarters fit.
    const orders = Array.from({ length: 20 }, (_, i) => listedOrder(newOrderNumber(), now - 24 * MINUTE + i * MINUTE));
    const { listOrders, calls } = orderListStub(orders, { pageSize: 2 });

    const outcome = await runReconciliation(env, { listOrders, maxPagesPerWindow: 3 }, now);

    expect(outcome).toMatchObject({ ran: true, run: { status: "done", ordersListed: 20, added: 20 } });
    expect(await getCheckpoint(env.DB)).toBe(now - 2 * MINUTE);
    const firstPages = calls.filter((call) => call.query.page === "1").map((call) => Number(call.query.updated_from));
    // The whole window, a half and a quarter start together; four quarters in all.
    expect(new Set(firstPages).size).toBe(4);
  });

  it("fails once halving reaches one minute and the minute still does not fit", async () => {
    const now = Date.now();
    await advanceCheckpoint(env.DB, now - 15 * MINUTE, now);
    recordFollowups();
    // Every window, however short, has an endless list.
    let pages = 0;
    const listOrders: ListOrdersCall = async (_path, query) => {
      pages += 1;
      return ok({ results: [], next: `?page=${Number(query.page) + 1}` });
    };

    const outcome = await runReconciliation(env, { listOrders, maxPagesPerWindow: 2 }, now);

    expect(outcome).toMatchObject({ ran: true, run: { status: "failed" } });
    expect(outcome.ran && outcome.run.error).toContain("safety stop");
    // 23 minutes: 23 → 11.5 → 5.75 → 2.875 → 1.4375 (not split further): four halvings, first halves only.
    expect(pages).toBe(2 * 5);
    expect(await getCheckpoint(env.DB)).toBe(now - 15 * MINUTE);
  });
});

describe("a window failing again and again", () => {
  const failing: ListOrdersCall = async () => fail({ error: "HTTP 502 from Omisell" });

  it(`is listed again after each of its first ${MAX_WINDOW_FAILURES - 1} failures, then skipped as a gap while the next windows go on`, async () => {
    const start = Date.now() - 3 * HOUR;
    const checkpoint = start - 30 * MINUTE;
    await advanceCheckpoint(env.DB, checkpoint, start);
    recordFollowups();
    const later = listedOrder(newOrderNumber(), start + 30 * MINUTE);
    const outcomes = [];
    // Two periods apart, then the third try two hours on: two more windows wait behind the failing one.
    for (const now of [start, start + PERIOD, start + 2 * HOUR]) {
      const { listOrders } = orderListStub([later]);
      // The first window (from the checkpoint) always fails; the ones after it would list.
      const deps = {
        listOrders: async (path: string, query: Record<string, string>) =>
          Number(query.updated_from) === Math.floor((checkpoint - 10 * MINUTE) / 1000)
            ? failing(path, query)
            : listOrders(path, query),
      };
      outcomes.push(await runReconciliation(env, deps, now));
    }

    expect(outcomes.slice(0, 2).map((o) => o.ran && o.run.status)).toEqual(["failed", "failed"]);
    expect(await listGaps(env.DB, 10)).toHaveLength(1);
    // The third run skips its first window and lists the two behind it: one run, done, saying so.
    const third = outcomes[2];
    expect(third?.ran && third.run).toMatchObject({ status: "done", skipped: true, windowsListed: 3 });
    expect(third?.ran && third.run.error).toMatch(/^window 1 of 3 \(.*\) skipped as a gap after 3 failures: /);
    const [gap] = await listGaps(env.DB, 10);
    expect(gap).toMatchObject({
      window_from: checkpoint - 10 * MINUTE,
      window_to: checkpoint + 50 * MINUTE,
      error: "order list page 1: HTTP 502 from Omisell",
      filled_at: null,
    });
    // The windows after the gap were listed: the change in them is stored.
    expect(await reconciledEventsOf([later.omisell_order_number])).toHaveLength(1);
    expect(await getCheckpoint(env.DB)).toBeGreaterThan(checkpoint + 50 * MINUTE);
  });

  it("shows reconcile_gap in /health/pipeline naming the window's bounds, until a manual run over it fills it", async () => {
    const now = Date.now();
    const gap = { from: now - 5 * HOUR, to: now - 4 * HOUR };
    await advanceCheckpoint(env.DB, gap.from + 10 * MINUTE, now - 3 * PERIOD);
    for (let i = 3; i >= 1; i--) await runReconciliation(env, { listOrders: failing }, now - i * PERIOD);
    // The gap the cron skipped: the hour from the checkpoint less the overlap.
    expect(await listGaps(env.DB, 10)).toMatchObject([{ window_from: gap.from, window_to: gap.to }]);

    const degraded = await readPipelineHealth(env, now);
    expect(degraded).toMatchObject({
      status: "degraded",
      reconcile_gaps: [{ from: new Date(gap.from).toISOString(), to: new Date(gap.to).toISOString() }],
    });
    expect(degraded.reasons).toContain("reconcile_gap");

    // POST /api/reconcile over the gap (a little wider), listed by the cron's manual step.
    const missedOrder = listedOrder(newOrderNumber(), gap.from + 20 * MINUTE);
    const runId = await startManualRun(env, gap.from - MINUTE, gap.to + MINUTE, now);
    await advanceManualRuns(env, orderListStub([missedOrder]), now);

    expect(await getRun(env.DB, runId)).toMatchObject({ status: "done" });
    expect(await listGaps(env.DB, 10)).toMatchObject([{ filled_by: runId }]);
    expect(await reconciledEventsOf([missedOrder.omisell_order_number])).toHaveLength(1);
    const health = await checkPipelineHealth(env, now, { deliveriesFailing: false });
    expect(health.status === "ok" || !health.reasons.includes("reconcile_gap")).toBe(true);
  });

  it("is not filled by a manual run over only part of it", async () => {
    const now = Date.now();
    const from = now - 5 * HOUR;
    await advanceCheckpoint(env.DB, from + 10 * MINUTE, now - 3 * PERIOD);
    for (let i = 3; i >= 1; i--) await runReconciliation(env, { listOrders: failing }, now - i * PERIOD);

    await startManualRun(env, from, from + 30 * MINUTE, now);
    await advanceManualRuns(env, orderListStub([]), now);

    expect(await listGaps(env.DB, 10)).toMatchObject([{ filled_at: null }]);
  });
});
