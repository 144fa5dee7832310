/**
 * How fast the follow-up consumer empties the backlog once pushes stop: events leaving
 * `received` per second (from the read API's stats) and Omisell order calls per second (from the
 * stand-in's counters), sampled twice a second.
 */
import type { OmisellStandin } from "../omisell-standin.ts";

/** The parts of `GET /api/stats` the bench reads. */
export type StatsBody = {
  by_status?: Record<string, number>;
  backlog?: { received?: number };
};

/** Events waiting for their follow-up, and events settled (processed, skipped or failed). */
export type StatusCounts = { received: number; settled: number };

export async function readStatusCounts(url: string, token: string): Promise<StatusCounts> {
  // The stats read counts the cron keeps (a rollup every minute; wrangler dev runs the cron only
  // when asked): run it first, so a backlog of thousands is counted, not capped at the live tail.
  await fetch(`${url}/__scheduled?cron=${encodeURIComponent("* * * * *")}`).catch(() => {});
  const res = await fetch(`${url}/api/stats`, { headers: { authorization: `Bearer ${token}` } });
  if (!res.ok) throw new Error(`GET /api/stats answered ${res.status}`);
  const stats = (await res.json()) as StatsBody;
  const byStatus = stats.by_status ?? {};
  const received = stats.backlog?.received ?? byStatus.received ?? 0;
  const settled = (byStatus.processed ?? 0) + (byStatus.skipped ?? 0) + (byStatus.failed ?? 0);
  return { received, settled };
}

export type DrainOptions = {
  url: string;
  token: string;
  standin: Pick<OmisellStandin, "stats">;
  windowSec: number;
  signal?: AbortSignal;
};

export type Drain = {
  backlogAtStart: number;
  backlogAtEnd: number;
  seconds: number;
  eventsPerSec: number | null;
  orderCallsPerSec: number | null;
};

type Sample = StatusCounts & { at: number; calls: number };

/**
 * Samples every half second until the backlog is empty or the window ends. The rate counts only
 * intervals that end with work still waiting, so the idle tail after the last event does not
 * dilute it.
 */
export async function measureDrain({ url, token, standin, windowSec, signal }: DrainOptions): Promise<Drain> {
  const sample = async (): Promise<Sample> => ({
    at: performance.now(),
    calls: standin.stats().routes.order ?? 0,
    ...(await readStatusCounts(url, token)),
  });
  const first = await sample();
  const samples = [first];
  let last = first;
  while (!signal?.aborted && last.received > 0 && performance.now() - first.at < windowSec * 1000) {
    await new Promise((r) => setTimeout(r, 500));
    last = await sample();
    samples.push(last);
  }
  let busySeconds = 0;
  let settled = 0;
  let calls = 0;
  for (const [i, after] of samples.entries()) {
    const before = samples[i - 1];
    if (!before || (after.received === 0 && i > 1)) continue;
    busySeconds += (after.at - before.at) / 1000;
    settled += after.settled - before.settled;
    calls += after.calls - before.calls;
  }
  if (settled <= 0 && last.at > first.at) {
    // A backlog gone within one batch: only the whole span says anything.
    busySeconds = (last.at - first.at) / 1000;
    settled = last.settled - first.settled;
    calls = last.calls - first.calls;
  }
  return {
    backlogAtStart: first.received,
    backlogAtEnd: last.received,
    seconds: (last.at - first.at) / 1000,
    eventsPerSec: busySeconds > 0 ? settled / busySeconds : null,
    orderCallsPerSec: busySeconds > 0 ? calls / busySeconds : null,
  };
}

/** One consumer batch as wrangler logs it: messages acknowledged of the batch's size, in ms. */
export type BatchLine = { acked: number; size: number; ms: number };

/**
 * Consumer batch durations from wrangler's log lines (`QUEUE omisell-followups 25/25 (212ms)`),
 * colour codes stripped: locally the queue hands out one batch at a time, so the drain rate is
 * the batch size over this duration.
 */
export function batchDurations(logText: string, queue = "omisell-followups"): BatchLine[] {
  const plain = logText.replace(new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*m`, "g"), "");
  const pattern = new RegExp(`QUEUE ${queue} (\\d+)/(\\d+) \\((\\d+)ms\\)`, "g");
  return [...plain.matchAll(pattern)].map((m) => ({ acked: Number(m[1]), size: Number(m[2]), ms: Number(m[3]) }));
}
