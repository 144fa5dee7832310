/**
 * How fast the follow-up consumer empties the backlog once pushes stop: events leaving
 * `received` per second (from the read API's stats) and Omisell order calls per second (from the
 * stand-in's counters), sampled twice a second.
 */
export async function readStatusCounts(url, token) {
  // The stats read counts the cron keeps (a rollup every minute; wrangler dev runs the cron only
  // when asked): run it first, so a backlog of thousands is counted, not capped at the live tail.
  await fetch(`${url}/__scheduled?cron=${encodeURIComponent("* * * * *")}`).catch(() => {});
  const res = await fetch(`${url}/api/stats`, { headers: { authorization: `Bearer ${token}` } });
  if (!res.ok) throw new Error(`GET /api/stats answered ${res.status}`);
  const stats = await res.json();
  const byStatus = stats.by_status ?? {};
  const received = stats.backlog?.received ?? byStatus.received ?? 0;
  const settled = (byStatus.processed ?? 0) + (byStatus.skipped ?? 0) + (byStatus.failed ?? 0);
  return { received, settled };
}

/**
 * Samples every half second until the backlog is empty or the window ends. The rate counts only
 * intervals that end with work still waiting, so the idle tail after the last event does not
 * dilute it.
 */
export async function measureDrain({ url, token, standin, windowSec, signal }) {
  const sample = async () => ({
    at: performance.now(),
    calls: standin.stats().routes.order ?? 0,
    ...(await readStatusCounts(url, token)),
  });
  const samples = [await sample()];
  const started = samples[0].at;
  while (!signal?.aborted && samples.at(-1).received > 0 && performance.now() - started < windowSec * 1000) {
    await new Promise((r) => setTimeout(r, 500));
    samples.push(await sample());
  }
  let busySeconds = 0;
  let settled = 0;
  let calls = 0;
  for (let i = 1; i < samples.length; i++) {
    const [before, after] = [samples[i - 1], samples[i]];
    if (after.received === 0 && i > 1) continue;
    busySeconds += (after.at - before.at) / 1000;
    settled += after.settled - before.settled;
    calls += after.calls - before.calls;
  }
  const last = samples.at(-1);
  if (settled <= 0 && last.at > started) {
    // A backlog gone within one batch: only the whole span says anything.
    busySeconds = (last.at - started) / 1000;
    settled = last.settled - samples[0].settled;
    calls = last.calls - samples[0].calls;
  }
  return {
    backlogAtStart: samples[0].received,
    backlogAtEnd: last.received,
    seconds: (last.at - started) / 1000,
    eventsPerSec: busySeconds > 0 ? settled / busySeconds : null,
    orderCallsPerSec: busySeconds > 0 ? calls / busySeconds : null,
  };
}

/**
 * Consumer batch durations from wrangler's log lines (`QUEUE omisell-followups 25/25 (212ms)`),
 * colour codes stripped: locally the queue hands out one batch at a time, so the drain rate is
 * the batch size over this duration.
 */
export function batchDurations(logText, queue = "omisell-followups") {
  const plain = logText.replace(new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*m`, "g"), "");
  const pattern = new RegExp(`QUEUE ${queue} (\\d+)/(\\d+) \\((\\d+)ms\\)`, "g");
  return [...plain.matchAll(pattern)].map((m) => ({ acked: Number(m[1]), size: Number(m[2]), ms: Number(m[3]) }));
}
