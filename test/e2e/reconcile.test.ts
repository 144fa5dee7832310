/**
 * Reconciliation end to end, against a worker of this file's own (real `wrangler dev`, its own
 * persisted state) and its own Omisell stand-in:
 * - 30 orders change in the stand-in, 20 of them pushed (signed); one run of POST /api/reconcile
 *   stores exactly the 10 changes no push told about, and every one of the 30 orders ends with a
 *   fresh snapshot; asking again adds nothing;
 * - the worker is stopped while 5 orders change again (their pushes get no answer), started
 *   again, and a reconciliation of that window catches all 5 up.
 * The periodic run is off here (RECONCILE_EVERY_MINUTES=0) so each run is the one the test asked
 * for; the cron, called as the every-minute trigger would (`/__scheduled`), lists manual runs.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { E2E_VARS } from "./config";
import { type ApiEvent, pushBody, readApi, sendSignedPush } from "./reliability-client";
import { type LocalStack, type LocalWorker, type Standin, startLocalStack } from "./stack";

type Run = { id: string; status: string; orders_listed: number; missed: number; error: string | null };
type OrderView = { order: unknown; status_name: string | null; fetched_at: number | null };

const READ = E2E_VARS.READ_API_TOKENS;
const ADMIN = E2E_VARS.ADMIN_API_TOKENS;
const MINUTE = 60_000;

let stack: LocalStack;
let standin: Standin;
let worker: LocalWorker;

/** Creates or changes an order in the stand-in; no push is sent. */
async function changeOrder(omisellOrderNumber: string, statusName: string, updatedTime: number) {
  const res = await fetch(`${standin.url}/__standin/orders`, {
    method: "POST",
    body: JSON.stringify({
      omisell_order_number: omisellOrderNumber,
      status_name: statusName,
      updated_time: updatedTime,
    }),
  });
  expect(res.status).toBe(200);
}

/** The push Omisell would send about the order's change. */
function pushAbout(omisellOrderNumber: string, statusName: string) {
  return pushBody("order.all", {
    data: {
      omisell_order_number: omisellOrderNumber,
      order_number: `SO-${omisellOrderNumber}`,
      status_name: statusName,
    },
  }).body;
}

/** POST /api/reconcile, then the cron every second until the run is no longer running. */
async function reconcile(from: number, to: number): Promise<Run> {
  const res = await fetch(`${worker.url}/api/reconcile`, {
    method: "POST",
    headers: { authorization: `Bearer ${ADMIN}`, "content-type": "application/json" },
    body: JSON.stringify({ from, to }),
  });
  expect(res.status).toBe(202);
  const { run_id } = (await res.json()) as { run_id: string };
  const deadline = Date.now() + 40_000;
  while (Date.now() < deadline) {
    await fetch(`${worker.url}/__scheduled?cron=${encodeURIComponent("* * * * *")}`);
    const { body } = await readApi<{ runs: Run[] }>(worker.url, "/api/reconcile/runs?limit=20", READ);
    const run = body.runs.find((r) => r.id === run_id);
    if (run && run.status !== "running") return run;
    await new Promise((r) => setTimeout(r, 1000));
  }
  throw new Error(`reconciliation run ${run_id} still running`);
}

async function reconciledEvents(): Promise<ApiEvent[]> {
  const { body } = await readApi<{ events: ApiEvent[] }>(
    worker.url,
    "/api/events?event=reconcile.order_changed&limit=200",
    READ,
  );
  return body.events;
}

/** Waits until every order's snapshot shows `statusName`, fetched at or after `since`. */
async function waitForSnapshots(numbers: string[], statusName: string, since: number): Promise<OrderView[]> {
  const deadline = Date.now() + 40_000;
  let views: OrderView[] = [];
  while (Date.now() < deadline) {
    views = await Promise.all(
      numbers.map(async (n) => (await readApi<OrderView>(worker.url, `/api/orders/${n}`, READ)).body),
    );
    if (views.every((v) => v.order !== null && v.status_name === statusName && (v.fetched_at ?? 0) >= since)) {
      return views;
    }
    // Sweeps follow-ups whose queue message was lost with a restarted process.
    await fetch(`${worker.url}/__scheduled?cron=${encodeURIComponent("* * * * *")}`);
    await new Promise((r) => setTimeout(r, 500));
  }
  const stale = numbers.filter((_, i) => views[i]?.status_name !== statusName || (views[i]?.fetched_at ?? 0) < since);
  const first = views[numbers.indexOf(stale[0] ?? "")];
  throw new Error(
    `orders without a fresh ${statusName} snapshot: ${stale.join(", ")}; first: ${JSON.stringify(first)}`,
  );
}

const orders = Array.from({ length: 30 }, (_, i) => `OM-REC-${Date.now().toString(36)}-${String(i).padStart(2, "0")}`);
const pushed = orders.slice(0, 20);
const unpushed = orders.slice(20);
let changedAt: number;

beforeAll(async () => {
  stack = await startLocalStack("reconcile", { vars: { RECONCILE_EVERY_MINUTES: "0" } });
  ({ standin, worker } = stack);
}, 120_000);

afterAll(() => stack?.close());

describe("reconciliation against a real worker", () => {
  it("stores exactly the 10 changes no push told about, and every order gets a fresh snapshot", async () => {
    changedAt = Date.now() - 10 * MINUTE;
    for (const n of orders) await changeOrder(n, "Confirmed", Math.floor(changedAt / 1000));
    for (const n of pushed)
      expect((await sendSignedPush(worker.url, E2E_VARS.OMISELL_PUSH_SECRET, pushAbout(n, "Confirmed"))).status).toBe(
        200,
      );

    const run = await reconcile(changedAt - 20 * MINUTE, Date.now());

    expect(run).toMatchObject({ status: "done", orders_listed: 30, missed: 10, error: null });
    const events = await reconciledEvents();
    expect(events.map((e) => e.order_number).sort()).toEqual([...unpushed].sort());
    await waitForSnapshots(orders, "Confirmed", changedAt);
  });

  it("adds nothing when the same range is reconciled again", async () => {
    const run = await reconcile(changedAt - 20 * MINUTE, Date.now());

    expect(run).toMatchObject({ status: "done", orders_listed: 30, missed: 10 });
    expect(await reconciledEvents()).toHaveLength(10);
  });

  it("catches up the changes made while the worker was down", async () => {
    const stoppedAt = Date.now();
    await worker.stop();
    // Changed a minute and two seconds after the stop: past the minute of clock skew the rule
    // allows after the last push, and (once the restart has taken 3 s) not past the minute a
    // requested range may end after the worker's clock.
    const downAt = Math.floor((stoppedAt + MINUTE + 2000) / 1000) * 1000;
    const changed = [...pushed.slice(0, 3), ...unpushed.slice(0, 2)];
    for (const n of changed) {
      await changeOrder(n, "Shipped", downAt / 1000);
      const answer = await sendSignedPush(worker.url, E2E_VARS.OMISELL_PUSH_SECRET, pushAbout(n, "Shipped"));
      expect(answer.status, "a push to a stopped worker gets no answer").toBe(0);
    }
    worker = await stack.startWorker();
    const restartedAt = Date.now();
    await new Promise((r) => setTimeout(r, Math.max(0, stoppedAt + 3000 - restartedAt)));

    const run = await reconcile(changedAt - 20 * MINUTE, downAt);

    // Missed: the 10 never pushed (2 of them changed again) and the 3 pushed before the outage.
    expect(run).toMatchObject({ status: "done", orders_listed: 30, missed: 13 });
    const events = await reconciledEvents();
    expect(events).toHaveLength(15);
    expect(
      events
        .slice(0, 5)
        .map((e) => e.order_number)
        .sort(),
    ).toEqual([...changed].sort());
    await waitForSnapshots(changed, "Shipped", restartedAt);
  });
});
