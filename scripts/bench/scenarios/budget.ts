/**
 * How the follow-up spends Omisell's rate limit. 3,000 signed pushes about 600 orders arrive in
 * bursts (five events per order within about two seconds, as Omisell sends order.created,
 * shipment.created and status changes), with the stand-in enforcing a leaky bucket of
 * BUDGET_RATE (100/6) and the worker told the same (OMISELL_RATE_LIMIT) and a short quiet window
 * (FOLLOWUP_QUIET_MS).
 *
 * Reports: order fetches per distinct order (from the stand-in's counters; one is ideal), 429s,
 * events that ended `failed`, and the drain time (first push until every event settled) against
 * the bucket's minimum: the orders beyond one bucketful at the bucket's rate.
 */
import { applyLocalMigrations } from "../../lib/local-stack.ts";
import { signPush } from "../../lib/push-signature.ts";
import type { Scenario } from "../bench.ts";
import type { StatsBody } from "../drain.ts";

const knob = (name: string, fallback: string | number) => process.env[name] ?? String(fallback);
const SECRET = "bench-budget-secret";
const TOKEN = "bench-budget-token";
/** Orders whose bursts overlap at any time; each burst's events go out STEP_MS apart. */
const WAVE = 60;
const STEP_MS = 400;
const BURST = ["order.created", "shipment.created", "order.ready_to_ship", "order.shipped", "order.completed"];

function pushBody(runId: string, order: number, k: number): string {
  const event = BURST[k % BURST.length] ?? "order.created";
  const number = `OMBUD${runId}${String(order).padStart(5, "0")}`;
  const data: Record<string, unknown> = {
    omisell_order_number: number,
    seller_id: 1001,
    order_number: `SHOP-${order}`,
  };
  if (event.startsWith("shipment.")) data.omisell_shipment_number = `SHP${runId}${order}`;
  return JSON.stringify({ request_id: `budget-${runId}-${order}-${k}`, event, timestamp: 1_765_000_000 + k, data });
}

async function send(url: string, body: string): Promise<void> {
  const res = await fetch(`${url}/webhooks/omisell`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: signPush(SECRET, `${url}/webhooks/omisell`, body) },
    body,
  });
  await res.arrayBuffer();
  if (!res.ok) throw new Error(`push answered ${res.status}`);
}

async function stats(url: string): Promise<StatsBody> {
  const res = await fetch(`${url}/api/stats`, { headers: { authorization: `Bearer ${TOKEN}` } });
  if (!res.ok) throw new Error(`GET /api/stats answered ${res.status}`);
  return (await res.json()) as StatsBody;
}

export default {
  summary: "Omisell's API budget: order fetches per order, 429s, drain time (about 1 minute)",
  knobs:
    "BUDGET_ORDERS (600), BUDGET_EVENTS_PER_ORDER (5), BUDGET_RATE (100/6), BUDGET_QUIET_MS (1000), BUDGET_TIMEOUT_SECONDS (240)",
  report: "budget-run",
  async run(bench) {
    const orders = Number(knob("BUDGET_ORDERS", 600));
    const perOrder = Number(knob("BUDGET_EVENTS_PER_ORDER", 5));
    const rate = knob("BUDGET_RATE", "100/6");
    const quietMs = Number(knob("BUDGET_QUIET_MS", 1000));
    const timeoutMs = Number(knob("BUDGET_TIMEOUT_SECONDS", 240)) * 1000;
    const [capacity = 0, seconds = 0] = rate.split("/").map(Number);
    const runId = Date.now().toString(36).slice(-5);
    const persistTo = bench.tempDir("omisell-budget-");
    applyLocalMigrations(persistTo, { quiet: true });
    const standin = await bench.startStandin({ rateLimit: rate });
    const worker = await bench.startWorker({
      persistTo,
      vars: {
        OMISELL_PUSH_SECRET: SECRET,
        READ_API_TOKENS: TOKEN,
        ADMIN_API_TOKENS: "bench-budget-admin",
        OMISELL_API_BASE: standin.url,
        OMISELL_AUTH_MODE: "account",
        OMISELL_ACCOUNT_KEY: "bench-budget-key",
        OMISELL_RATE_LIMIT: rate,
        FOLLOWUP_QUIET_MS: String(quietMs),
        FOLLOWUP_PARALLELISM: "25",
      },
    });
    bench.say(
      `budget scenario: ${orders * perOrder} pushes over ${orders} orders, bucket ${rate}, quiet ${quietMs} ms`,
    );

    const started = performance.now();
    for (let wave = 0; wave < orders; wave += WAVE) {
      const inWave = Array.from({ length: Math.min(WAVE, orders - wave) }, (_, i) => wave + i);
      for (let k = 0; k < perOrder; k++) {
        const stepStart = performance.now();
        await Promise.all(inWave.map((order) => send(worker.url, pushBody(runId, order, k))));
        const rest = STEP_MS - (performance.now() - stepStart);
        if (rest > 0) await new Promise((resolve) => setTimeout(resolve, rest));
      }
    }
    const pushSeconds = (performance.now() - started) / 1000;

    let last = await stats(worker.url);
    while ((last.backlog?.received ?? 0) > 0 && performance.now() - started < timeoutMs) {
      await new Promise((resolve) => setTimeout(resolve, 250));
      last = await stats(worker.url);
    }
    const drainSeconds = (performance.now() - started) / 1000;
    const counts = standin.stats();
    const calls = counts.routes.order ?? 0;
    const throttled = counts.outcomes["429"] ?? 0;
    const fetches = calls - throttled;
    const minimum = (Math.max(0, orders - capacity) / capacity) * seconds;
    const result = {
      pushes: orders * perOrder,
      orders,
      pushSeconds,
      orderCalls: calls,
      fetches,
      fetchesPerOrder: fetches / orders,
      throttled429: throttled,
      failed: last.by_status?.failed ?? 0,
      processed: last.by_status?.processed ?? 0,
      stillReceived: last.backlog?.received ?? 0,
      drainSeconds,
      minimumSeconds: minimum,
      drainVsMinimum: minimum > 0 ? drainSeconds / minimum : null,
    };
    bench.say(`pushes sent in ${pushSeconds.toFixed(1)} s`);
    bench.say(
      `order fetches ${fetches} for ${orders} orders = ${result.fetchesPerOrder.toFixed(3)} per order (target <= 1.1); ` +
        `429s ${throttled}; failed ${result.failed} (target 0); processed ${result.processed}; still received ${result.stillReceived}`,
    );
    bench.say(
      `drain ${drainSeconds.toFixed(1)} s from the first push; bucket minimum ${minimum.toFixed(1)} s ` +
        `(${orders} fetches at ${rate} after the first ${capacity}); ratio ${result.drainVsMinimum?.toFixed(2)} (target <= 1.2)`,
    );
    return result;
  },
} satisfies Scenario;
