/**
 * Reconciliation in the cron handler: the every-minute invocation lists Omisell's orders through
 * the rate-limited client (the stand-in of vitest.config.ts, under this file's own credential),
 * continues manual runs, purges old runs, and a reconciliation failure leaves the other cron work
 * running.
 */
import { createScheduledController } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { runScheduled } from "../src/cron/scheduled";
import { newUlid } from "../src/lib/ids";
import { startManualRun } from "../src/reconcile/manual";
import { getRun, listRuns, startRun } from "../src/store/reconcile";
import { advanceCheckpoint } from "../src/store/reconcile-progress";
import { insertReceivedEvent, newOrderNumber } from "./helpers/followup";
import { clearReconciliation, listedOrder } from "./helpers/reconcile";

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const ACCOUNT_KEY = "cron-reconcile-key";

/** Asks of the rate limiter, by priority: every Omisell call of this file's env goes through here. */
const limiterAsks: string[] = [];

const countingLimiter = {
  idFromName: (name: string) => env.OMISELL_LIMITER.idFromName(name),
  get(id: DurableObjectId) {
    const stub = env.OMISELL_LIMITER.get(id);
    return {
      acquire(priority: Parameters<typeof stub.acquire>[0], limit: Parameters<typeof stub.acquire>[1]) {
        limiterAsks.push(priority);
        return stub.acquire(priority, limit);
      },
      report: (call: Parameters<typeof stub.report>[0], limit: Parameters<typeof stub.report>[1]) =>
        stub.report(call, limit),
    };
  },
};

const cronEnv = { ...env, OMISELL_ACCOUNT_KEY: ACCOUNT_KEY, OMISELL_LIMITER: countingLimiter } as unknown as Env;

/** Adds orders to the stand-in's order list under this file's credential. */
async function listInStandIn(orders: object[]) {
  const res = await fetch("https://api.omisell.test/__standin/orders", {
    method: "POST",
    headers: { authorization: `Account ${ACCOUNT_KEY}` },
    body: JSON.stringify(orders),
  });
  expect(res.status).toBe(204);
}

function runCron(at: number, on: Env = cronEnv) {
  return runScheduled(createScheduledController({ scheduledTime: at, cron: "* * * * *" }), on);
}

/** Records what the cron sends to the follow-up queue, without delivering it. */
function recordSends() {
  const sent: { eventId: string; reason: string }[] = [];
  vi.spyOn(env.FOLLOWUPS, "sendBatch").mockImplementation(async (messages) => {
    for (const message of messages) sent.push(message.body as { eventId: string; reason: string });
    return { metadata: { metrics: { backlogCount: 0, backlogBytes: 0 } } } as QueueSendBatchResponse;
  });
  return sent;
}

async function reconciledEvents(numbers: string[]) {
  const { results } = await env.DB.prepare(
    "SELECT id, order_number FROM events WHERE source = 'reconcile' AND order_number IN (SELECT value FROM json_each(?1))",
  )
    .bind(JSON.stringify(numbers))
    .all<{ id: string; order_number: string }>();
  return results;
}

beforeEach(async () => {
  limiterAsks.length = 0;
  await clearReconciliation();
});

afterEach(() => {
  vi.restoreAllMocks();
});

describe("the cron's reconciliation", () => {
  it("lists the stand-in's orders through the rate limiter and stores the changes no push told about", async () => {
    const now = Date.now();
    await advanceCheckpoint(env.DB, now - 15 * MINUTE, now);
    const orders = [0, 1, 2].map(() => listedOrder(newOrderNumber(), now - 10 * MINUTE));
    await listInStandIn(orders);
    await insertReceivedEvent({ order_number: orders[0]?.omisell_order_number, receivedAt: now - 9 * MINUTE });
    const sent = recordSends();

    await runCron(now);

    const [run] = await listRuns(env.DB, 1);
    expect(run).toMatchObject({ trigger: "cron", status: "done", orders_listed: 3, missed: 2 });
    const missed = await reconciledEvents(orders.map((order) => order.omisell_order_number));
    expect(missed.map((event) => event.order_number).sort()).toEqual(
      [orders[1]?.omisell_order_number, orders[2]?.omisell_order_number].sort(),
    );
    expect(
      sent
        .filter((message) => message.reason === "reconcile")
        .map((message) => message.eventId)
        .sort(),
    ).toEqual(missed.map((event) => event.id).sort());
    expect(limiterAsks).toContain("reconcile");
    expect(limiterAsks.every((priority) => priority === "reconcile")).toBe(true);
  });

  it("lists the next windows of a manual run requested earlier", async () => {
    const now = Date.now();
    const orders = [0, 1].map(() => listedOrder(newOrderNumber(), now - 5 * HOUR - 7 * MINUTE));
    await listInStandIn(orders);
    recordSends();
    const id = await startManualRun(cronEnv, now - 6 * HOUR, now - 4 * HOUR, now - MINUTE);

    await runCron(now);

    expect(await getRun(env.DB, id)).toMatchObject({ status: "done", orders_listed: 2, missed: 2, error: null });
  });

  it("keeps sweeping and continuing manual runs when the periodic reconciliation fails", async () => {
    const now = Date.now();
    // Never scheduled and older than SWEEP_LOST_AFTER_SECONDS: the sweeper re-sends it.
    const stuck = await insertReceivedEvent({ receivedAt: now - 40 * MINUTE });
    const sent = recordSends();
    const id = await startManualRun(cronEnv, now - 2 * HOUR, now - HOUR, now - MINUTE);
    const broken = { ...cronEnv, RECONCILE_EVERY_MINUTES: "every now and then" } as Env;

    await expect(runCron(now, broken)).rejects.toThrow(/RECONCILE_EVERY_MINUTES/);

    expect(sent).toContainEqual({ eventId: stuck, reason: "sweep" });
    expect(await getRun(env.DB, id)).toMatchObject({ status: "done" });
  });

  it("records a failed run when Omisell's order list answers an error, and sweeps all the same", async () => {
    const now = Date.now();
    await advanceCheckpoint(env.DB, now - 15 * MINUTE, now);
    // Never scheduled and older than SWEEP_LOST_AFTER_SECONDS: the sweeper re-sends it.
    const stuck = await insertReceivedEvent({ receivedAt: now - 40 * MINUTE });
    const sent = recordSends();
    const nowhere = { ...cronEnv, OMISELL_API_BASE: "https://api.omisell.test/nowhere" } as Env;

    await runCron(now, nowhere);

    const [run] = await listRuns(env.DB, 1);
    expect(run).toMatchObject({ trigger: "cron", status: "failed", error: expect.stringContaining("HTTP 404") });
    expect(sent).toContainEqual({ eventId: stuck, reason: "sweep" });
  });

  it("purges runs older than RETENTION_DAYS and keeps recent ones", async () => {
    const now = Date.now();
    const old = newUlid(now - 91 * DAY);
    const recent = newUlid(now - DAY);
    for (const [id, at] of [
      [old, now - 91 * DAY],
      [recent, now - DAY],
    ] as const) {
      await startRun(env.DB, { id, trigger: "cron", window_from: at - HOUR, window_to: at, started_at: at });
    }
    recordSends();

    await runCron(now, { ...cronEnv, RECONCILE_EVERY_MINUTES: "0" } as Env);

    expect(await getRun(env.DB, old)).toBeNull();
    expect(await getRun(env.DB, recent)).not.toBeNull();
  });
});
