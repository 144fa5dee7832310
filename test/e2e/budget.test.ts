/**
 * Omisell's budget end to end: a real `wrangler dev` of this file's own and the stand-in with its
 * leaky bucket on (20 calls per 4 s), the worker told the same. 60 pushes about 12 orders arrive in
 * bursts; every event ends processed, none failed, and the orders are fetched about once each.
 */
import { afterAll, beforeAll, expect, it } from "vitest";
import { E2E_VARS } from "./config";
import { readApi, sendSignedPush } from "./reliability-client";
import { type LocalStack, type LocalWorker, type Standin, startLocalStack } from "./stack";

const ORDERS = 12;
const PER_ORDER = 5;
const BURST = ["order.created", "shipment.created", "order.ready_to_ship", "order.shipped", "order.completed"];

let stack: LocalStack;
let standin: Standin;
let worker: LocalWorker;

beforeAll(async () => {
  stack = await startLocalStack("budget", {
    standin: { rateLimit: "20/4" },
    vars: { OMISELL_RATE_LIMIT: "20/4", FOLLOWUP_QUIET_MS: "1000" },
  });
  ({ standin, worker } = stack);
});

afterAll(() => stack?.close());

type Stats = { by_status: Record<string, number>; backlog: { received: number } };

it("settles every event of bursts about a few orders with about one fetch per order", async () => {
  const run = crypto.randomUUID().slice(0, 8);
  for (let k = 0; k < PER_ORDER; k++) {
    const answers = await Promise.all(
      Array.from({ length: ORDERS }, (_, order) => {
        const data = { omisell_order_number: `OM-BUD-${run}-${order}`, order_number: `SHOP-${order}` };
        const body = JSON.stringify({ request_id: `bud-${run}-${order}-${k}`, event: BURST[k], seller_id: 1001, data });
        return sendSignedPush(worker.url, E2E_VARS.OMISELL_PUSH_SECRET, body);
      }),
    );
    expect(answers.map((answer) => answer.status)).toEqual(Array(ORDERS).fill(200));
    await new Promise((resolve) => setTimeout(resolve, 200));
  }

  const deadline = Date.now() + 60_000;
  let stats: Stats;
  do {
    await new Promise((resolve) => setTimeout(resolve, 500));
    stats = (await readApi<Stats>(worker.url, "/api/stats", E2E_VARS.READ_API_TOKENS)).body;
  } while (stats.backlog.received > 0 && Date.now() < deadline);

  expect(stats.by_status.processed).toBe(ORDERS * PER_ORDER);
  expect(stats.by_status.failed ?? 0).toBe(0);
  const counts = standin.stats();
  const fetches = (counts.routes.order ?? 0) - (counts.outcomes["429"] ?? 0);
  expect(fetches).toBeGreaterThanOrEqual(ORDERS);
  expect(fetches).toBeLessThanOrEqual(Math.ceil(ORDERS * 1.25));
}, 120_000);
