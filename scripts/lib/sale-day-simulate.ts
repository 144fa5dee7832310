/**
 * `npm run simulate -- --sale-day`: a compressed sale day against a running omisell-push (`npm start`)
 * and its Omisell stand-in, then what it cost and how fresh it stayed: freshness p50/p95/p99 from
 * `/api/stats`, Omisell calls per order change from the stand-in's counters.
 */

import { signPush } from "./push-signature.ts";
import { knownOrderNumber, planSaleDay, playSaleDay, type SaleDayShape, tellStandin } from "./sale-day.ts";

export type SaleDayOptions = {
  /** The worker's base URL (http://localhost:8787). */
  workerUrl: string;
  secret: string;
  standinUrl: string;
  /** A read token of the worker's, for /api/stats. */
  token: string;
  minutes: number;
  known: number;
  fresh: number;
  bulk: number;
  /** The stand-in's bucket: set it to the worker's OMISELL_RATE_LIMIT (npm start: 100/60). */
  rate: string;
  otherTool: number;
  /** The longest wait for the follow-ups to settle, before and after the day. */
  settleTimeoutMs?: number;
};

type Freshness = {
  p50_seconds: number | null;
  p95_seconds: number | null;
  p99_seconds: number | null;
  settled: number;
};
type Stats = { backlog: { received: number }; by_status: Record<string, number>; freshness: { last_hour: Freshness } };
type StandinCounts = {
  routes: Record<string, number>;
  outcomes: Record<string, number>;
  otherTool?: { calls: number };
};

async function getJson<T>(url: string, token?: string): Promise<T> {
  const res = await fetch(url, token ? { headers: { authorization: `Bearer ${token}` } } : {});
  if (!res.ok) throw new Error(`GET ${url} answered ${res.status}`);
  return (await res.json()) as T;
}

/** Waits until nothing is `received`; returns the last stats read. */
async function settled(options: SaleDayOptions, print: (line: string) => void): Promise<Stats> {
  const deadline = Date.now() + (options.settleTimeoutMs ?? 15 * 60_000);
  for (;;) {
    const stats = await getJson<Stats>(`${options.workerUrl}/api/stats`, options.token);
    if (stats.backlog.received === 0 || Date.now() > deadline) return stats;
    print(`  ${stats.backlog.received} events waiting for their follow-up…`);
    await new Promise((resolve) => setTimeout(resolve, 5_000));
  }
}

const ourCalls = (counts: StandinCounts) => (counts.routes.order ?? 0) + (counts.routes.order_list ?? 0);
const seconds = (value: number | null) => (value === null ? "—" : `${value} s`);

/**
 * Plays the day and prints its figures. The known orders are made known first (created at the
 * stand-in an hour back and pushed as order.created, their details fetched before the day starts:
 * those follow-ups count in the last hour's freshness too, and the figures say how many). Returns
 * whether every push was taken and nothing failed.
 */
export async function simulateSaleDay(options: SaleDayOptions, print: (line: string) => void): Promise<boolean> {
  const runId = Math.random().toString(36).slice(2, 7);
  const shape: SaleDayShape = {
    runId,
    known: options.known,
    changesPerKnown: 3,
    fresh: options.fresh,
    hourMs: options.minutes * 60_000,
    bulk: options.bulk,
    followUpMs: 1_500,
  };
  await fetch(`${options.standinUrl}/__standin/knobs`, {
    method: "POST",
    body: JSON.stringify({ rateLimit: options.rate, otherTool: 0 }),
  }).then((res) => {
    if (!res.ok) throw new Error(`the stand-in at ${options.standinUrl} refused the knobs (${res.status})`);
  });
  const known = Array.from({ length: options.known }, (_, i) => knownOrderNumber(runId, i));
  print(`sale day ${runId}: making ${known.length} orders known first (order.created, their detail fetched)`);
  const hourAgo = Math.floor(Date.now() / 1000) - 3600;
  await tellStandin(
    options.standinUrl,
    known.map((n) => ({ omisell_order_number: n, status_name: "Pending", updated_time: hourAgo })),
  );
  const url = `${options.workerUrl}/webhooks/omisell`;
  for (const [i, number] of known.entries()) {
    const body = JSON.stringify({
      request_id: `saleday-${runId}-known-${i}`,
      event: "order.created",
      seller_id: 1001,
      data: { omisell_order_number: number, order_number: `SHOP-${number}`, status_name: "Pending" },
    });
    const res = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: signPush(options.secret, url, body) },
      body,
    });
    await res.arrayBuffer();
    if (!res.ok) throw new Error(`the warm-up push answered ${res.status}: check --url and --secret`);
  }
  const warm = await settled(options, print);

  const changes = planSaleDay(shape);
  await fetch(`${options.standinUrl}/__standin/knobs`, {
    method: "POST",
    body: JSON.stringify({ otherTool: options.otherTool }),
  });
  const before = await getJson<StandinCounts>(`${options.standinUrl}/__standin/stats`);
  print(
    `playing ${changes.length} order changes over ${options.minutes} min: ${options.known} known orders x 3 in bulk actions of ${options.bulk}, ${options.fresh} new orders x 2; bucket ${options.rate}, the other tool spending ${options.otherTool * 100} %`,
  );
  const play = await playSaleDay({
    changes,
    runId,
    workerUrl: options.workerUrl,
    secret: options.secret,
    standinUrl: options.standinUrl,
  });
  const after = await settled(options, print);
  const counts = await getJson<StandinCounts>(`${options.standinUrl}/__standin/stats`);
  await fetch(`${options.standinUrl}/__standin/knobs`, { method: "POST", body: JSON.stringify({ otherTool: 0 }) });

  const calls = ourCalls(counts) - ourCalls(before);
  const fresh = after.freshness.last_hour;
  const failed = after.by_status.failed ?? 0;
  print("");
  print(`pushes: ${play.pushed} answered 200, ${play.refused} not`);
  print(
    `freshness (last hour, /api/stats): p50 ${seconds(fresh.p50_seconds)}, p95 ${seconds(fresh.p95_seconds)}, p99 ${seconds(fresh.p99_seconds)} over ${fresh.settled} settled (${warm.freshness.last_hour.settled} of them the warm-up's)`,
  );
  print(
    `Omisell calls per order change: ${(calls / changes.length).toFixed(3)} (${calls} calls for ${changes.length} changes; 429s ${(counts.outcomes["429"] ?? 0) - (before.outcomes["429"] ?? 0)})`,
  );
  print(`failed events: ${failed}${after.backlog.received > 0 ? `; still waiting: ${after.backlog.received}` : ""}`);
  return play.refused === 0 && failed === 0;
}
