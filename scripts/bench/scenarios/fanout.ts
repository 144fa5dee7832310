/**
 * Fan-out to destinations: FANOUT_EVENTS (3,000) signed pushes, one per order, settle through the
 * follow-up and go to three local receivers, each a destination made through the admin API:
 * `all` (no filter), `orders` (events `order.`) and `capped` (events `shipment.`, a third of them,
 * rate_per_minute FANOUT_RATE = 600). The capped destination takes a third of the events so the
 * run lasts about two minutes instead of five (1,000 deliveries at 600 a minute); FANOUT_CAPPED_ALL=1
 * gives it every event.
 *
 * Reports: deliveries per second (all destinations, and each), settled → delivered p50 and p99 per
 * destination (the receiver's arrival of the delivered attempt against the event's processed_at),
 * and for the capped receiver the smallest spacing between two arrivals and the most arrivals in
 * any 60 seconds (the cap held when that is at most FANOUT_RATE).
 */
import { applyLocalMigrations, freePort } from "../../lib/local-stack.ts";
import { signPush } from "../../lib/push-signature.ts";
import { type Receiver, startReceiver } from "../../receiver.ts";
import type { Scenario } from "../bench.ts";

const knob = (name: string, fallback: string | number) => process.env[name] ?? String(fallback);
const SECRET = "bench-fanout-secret";
const READ = "bench-fanout-read";
const ADMIN = "bench-fanout-admin";
const NAMES = ["order.shipped", "order.created", "shipment.delivered"] as const;
const SEND_CONCURRENCY = 24;

type Shape = { name: string; filter?: Record<string, string[]>; rate?: number; expected: number };

function pushBody(runId: string, i: number): string {
  const event = NAMES[i % NAMES.length] ?? "order.created";
  const data: Record<string, unknown> = {
    omisell_order_number: `OMFAN${runId}${String(i).padStart(6, "0")}`,
    seller_id: 1001,
  };
  if (event.startsWith("shipment.")) data.omisell_shipment_number = `SHPFAN${runId}${i}`;
  return JSON.stringify({ request_id: `fanout-${runId}-${i}`, event, data });
}

async function api<T>(url: string, path: string, init: { method?: string; body?: unknown } = {}): Promise<T> {
  const res = await fetch(`${url}${path}`, {
    method: init.method ?? "GET",
    headers: { authorization: `Bearer ${init.method ? ADMIN : READ}`, "content-type": "application/json" },
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
  });
  if (!res.ok) throw new Error(`${init.method ?? "GET"} ${path} answered ${res.status}: ${await res.text()}`);
  return (await res.json()) as T;
}

/** Runs `work` over `items` with at most `limit` at once. */
async function pool<T>(items: T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: limit }, async () => {
      while (next < items.length) await work(items[next++] as T);
    }),
  );
}

/** When each event settled, read along the change feed. */
async function settledTimes(url: string): Promise<Map<string, number>> {
  const times = new Map<string, number>();
  for (let after = 0; ; ) {
    const page = await api<{ changes: { id: string; processed_at: number | null }[]; next_after: number }>(
      url,
      `/api/feed?after=${after}&limit=500`,
    );
    for (const change of page.changes) if (change.processed_at !== null) times.set(change.id, change.processed_at);
    if (page.changes.length === 0) return times;
    after = page.next_after;
  }
}

const percentile = (values: number[], p: number) => {
  const sorted = values.toSorted((x, y) => x - y);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? Number.NaN;
};

/** The most arrivals within any `windowMs` (a sliding window over sorted times). */
function mostWithin(times: number[], windowMs: number): number {
  let most = 0;
  for (let start = 0, end = 0; end < times.length; end++) {
    while ((times[end] ?? 0) - (times[start] ?? 0) >= windowMs) start++;
    most = Math.max(most, end - start + 1);
  }
  return most;
}

export default {
  summary:
    "Fan-out to 3 local destinations, one capped: deliveries/s, settled → delivered p50/p99, the cap (about 2 minutes)",
  knobs: "FANOUT_EVENTS (3000), FANOUT_RATE (600), FANOUT_CAPPED_ALL (0), FANOUT_TIMEOUT_SECONDS (600)",
  report: "fanout-run",
  async run(bench) {
    const events = Number(knob("FANOUT_EVENTS", 3000));
    const rate = Number(knob("FANOUT_RATE", 600));
    const cappedAll = knob("FANOUT_CAPPED_ALL", "0") === "1";
    const timeoutMs = Number(knob("FANOUT_TIMEOUT_SECONDS", 600)) * 1000;
    const runId = Date.now().toString(36).slice(-5);
    const persistTo = bench.tempDir("omisell-fanout-");
    applyLocalMigrations(persistTo, { quiet: true });
    const standin = await bench.startStandin();
    const worker = await bench.startWorker({
      persistTo,
      vars: {
        OMISELL_PUSH_SECRET: SECRET,
        READ_API_TOKENS: READ,
        ADMIN_API_TOKENS: ADMIN,
        OMISELL_API_BASE: standin.url,
        OMISELL_AUTH_MODE: "account",
        OMISELL_ACCOUNT_KEY: "bench-fanout-key",
        OMISELL_RATE_LIMIT: "1000000/60",
        FOLLOWUP_QUIET_MS: "0",
        FOLLOWUP_PARALLELISM: "25",
        RECONCILE_EVERY_MINUTES: "0",
      },
    });
    const shipments = Math.floor(events / NAMES.length) + (events % NAMES.length > 2 ? 1 : 0);
    const orders = events - shipments;
    // The capped one first: the walk goes through destinations in creation order, so its
    // deliveries are first on the queue and meet the cap instead of trickling in behind the others.
    const shapes: Shape[] = [
      {
        name: "capped",
        rate,
        expected: cappedAll ? events : shipments,
        ...(cappedAll ? {} : { filter: { events: ["shipment."] } }),
      },
      { name: "all", expected: events },
      { name: "orders", filter: { events: ["order."] }, expected: orders },
    ];
    const receivers: Receiver[] = [];
    for (const shape of shapes) {
      const port = await freePort();
      const created = await api<{ destination: { id: string }; secret: string }>(worker.url, "/api/destinations", {
        method: "POST",
        body: {
          name: shape.name,
          url: `http://127.0.0.1:${port}/hook`,
          ...(shape.filter ? { filter: shape.filter } : {}),
          ...(shape.rate ? { rate_per_minute: shape.rate } : {}),
        },
      });
      const receiver = await startReceiver({ port, secret: created.secret, log: () => {} });
      bench.onCleanup(() => receiver.close());
      receivers.push(receiver);
    }
    bench.say(
      `fanout scenario: ${events} pushes (one per order), destinations all (${events}), orders (${orders}), ` +
        `capped at ${rate}/min (${shapes[0]?.expected})`,
    );

    const started = performance.now();
    await pool(
      Array.from({ length: events }, (_, i) => i),
      SEND_CONCURRENCY,
      async (i) => {
        const body = pushBody(runId, i);
        const callbackUrl = `${worker.url}/webhooks/omisell`;
        const res = await fetch(callbackUrl, {
          method: "POST",
          headers: { authorization: signPush(SECRET, callbackUrl, body) },
          body,
        });
        await res.arrayBuffer();
        if (!res.ok) throw new Error(`push answered ${res.status}`);
      },
    );
    bench.say(`pushes sent in ${((performance.now() - started) / 1000).toFixed(1)} s`);

    const doneCount = (receiver: Receiver) =>
      new Set(
        receiver
          .deliveries()
          .filter((d) => d.status === 204)
          .map((d) => d.eventId),
      ).size;
    let lastCron = performance.now();
    while (shapes.some((shape, i) => doneCount(receivers[i] as Receiver) < shape.expected)) {
      if (performance.now() - started > timeoutMs || bench.signal.aborted) break;
      if (performance.now() - lastCron > 30_000) {
        lastCron = performance.now();
        await fetch(`${worker.url}/__scheduled?cron=${encodeURIComponent("* * * * *")}`).catch(() => {});
      }
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
    const settled = await settledTimes(worker.url);

    const result: Record<string, unknown> = { events, rate, cappedAll };
    let allFirst = Number.POSITIVE_INFINITY;
    let allLast = 0;
    let allDelivered = 0;
    for (const [i, shape] of shapes.entries()) {
      const deliveries = (receivers[i] as Receiver).deliveries();
      const ok = deliveries.filter((d) => d.status === 204);
      const times = ok.map((d) => d.receivedAt).sort((x, y) => x - y);
      const lags = ok.flatMap((d) => {
        const at = settled.get(d.eventId);
        return at === undefined ? [] : [d.receivedAt - at];
      });
      const first = times[0] ?? 0;
      const last = times.at(-1) ?? 0;
      allFirst = Math.min(allFirst, first);
      allLast = Math.max(allLast, last);
      allDelivered += ok.length;
      const spacing = times.slice(1).map((t, k) => t - (times[k] ?? 0));
      const perSecond = ok.length / Math.max(0.001, (last - first) / 1000);
      const row = {
        expected: shape.expected,
        delivered: new Set(ok.map((d) => d.eventId)).size,
        attempts: deliveries.length,
        duplicates: ok.length - new Set(ok.map((d) => d.eventId)).size,
        perSecond,
        settledToDeliveredP50Ms: percentile(lags, 50),
        settledToDeliveredP99Ms: percentile(lags, 99),
        smallestSpacingMs: spacing.length ? Math.min(...spacing) : null,
        spacingP1Ms: percentile(spacing, 1),
        spacingP5Ms: percentile(spacing, 5),
        spacingP50Ms: percentile(spacing, 50),
        mostIn60s: mostWithin(times, 60_000),
      };
      result[shape.name] = row;
      bench.say(
        `${shape.name.padEnd(7)} delivered ${row.delivered}/${row.expected} (attempts ${row.attempts}, duplicates ${row.duplicates}), ` +
          `${perSecond.toFixed(1)}/s, settled → delivered p50 ${(row.settledToDeliveredP50Ms / 1000).toFixed(2)} s, ` +
          `p99 ${(row.settledToDeliveredP99Ms / 1000).toFixed(2)} s` +
          (shape.rate
            ? `; cap ${shape.rate}/min (slots ${Math.ceil(60_000 / shape.rate)} ms apart): arrivals at the receiver ` +
              `spaced min ${row.smallestSpacingMs} ms, p1 ${row.spacingP1Ms} ms, p5 ${row.spacingP5Ms} ms, ` +
              `median ${row.spacingP50Ms} ms; most in any 60 s ${row.mostIn60s}`
            : ""),
      );
    }
    const overall = allDelivered / Math.max(0.001, (allLast - allFirst) / 1000);
    result.deliveriesPerSecond = overall;
    result.seconds = (performance.now() - started) / 1000;
    bench.say(
      `all destinations: ${allDelivered} deliveries in ${((allLast - allFirst) / 1000).toFixed(1)} s = ${overall.toFixed(1)}/s`,
    );
    return result;
  },
} satisfies Scenario;
