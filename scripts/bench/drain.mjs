/**
 * How fast the follow-up consumer empties the backlog once pushes stop: events leaving
 * `received` per second (from the read API's stats) and Omisell order calls per second (from the
 * stand-in's counters), sampled once a second until the backlog is empty or the window ends.
 */
export async function readStatusCounts(url, token) {
  const res = await fetch(`${url}/api/stats`, { headers: { authorization: `Bearer ${token}` } });
  if (!res.ok) throw new Error(`GET /api/stats answered ${res.status}`);
  const stats = await res.json();
  const byStatus = stats.by_status ?? {};
  const received = stats.backlog?.received ?? byStatus.received ?? 0;
  const settled = (byStatus.processed ?? 0) + (byStatus.skipped ?? 0) + (byStatus.failed ?? 0);
  return { received, settled };
}

export async function measureDrain({ url, token, standin, windowSec, signal }) {
  const orderCalls = () => standin.stats().routes.order ?? 0;
  const start = { at: performance.now(), calls: orderCalls(), ...(await readStatusCounts(url, token)) };
  let last = start;
  while (!signal?.aborted && last.received > 0 && performance.now() - start.at < windowSec * 1000) {
    await new Promise((r) => setTimeout(r, 1000));
    last = { at: performance.now(), calls: orderCalls(), ...(await readStatusCounts(url, token)) };
  }
  const seconds = (last.at - start.at) / 1000;
  return {
    backlogAtStart: start.received,
    backlogAtEnd: last.received,
    seconds,
    eventsPerSec: seconds > 0 ? (last.settled - start.settled) / seconds : null,
    orderCallsPerSec: seconds > 0 ? (last.calls - start.calls) / seconds : null,
  };
}
