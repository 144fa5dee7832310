/**
 * Phase 1b of the bench: copies of pushes already accepted (their answers, and the events
 * count before and after), what the claim shards wrote to storage, and how soon an accepted
 * push is readable by `GET /api/events/{id}`.
 */
import { type Bench, KiB, LOAD_HEADERS, loadRow, type Measured, PUSH_SECRET, READ_TOKEN } from "../bench.ts";
import { createPushSource } from "../pushes.ts";
import { fmt, percentile, table } from "../report.ts";
import { claimShardStorageBytes, storedEvents, type Targets } from "../targets.ts";
import type { RoundsResult } from "./rounds.ts";

/** Pushes readable by their first read, and how long that read took. */
export type Readable = { count: number; readableAtOnce: number; p50: number | null; p99: number | null };

export type DuplicatesResult = {
  duplicates: Measured & { stored: number };
  shardBytes: { atStart: number; atEnd: number };
  lag: Readable;
};

/** Sequential pushes, each read back with GET /api/events/{id} the moment its 200 arrives. */
async function acceptedToReadable(bench: Bench, url: string, count: number): Promise<Readable> {
  const source = createPushSource({
    runId: `${bench.runId}lag`,
    secret: PUSH_SECRET,
    callbackUrl: `${url}/webhooks/omisell`,
    payloadBytes: KiB,
    prefill: count,
  });
  const lags: number[] = [];
  let readableAtOnce = 0;
  for (let i = 0; i < count; i++) {
    const push = source.next();
    const res = await fetch(`${url}/webhooks/omisell`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: push.authorization },
      body: push.body,
    });
    const id = res.headers.get("Push-Event-Id");
    const answered = performance.now();
    for (let poll = 0; poll < 50 && id; poll++) {
      const read = await fetch(`${url}/api/events/${id}`, { headers: { authorization: `Bearer ${READ_TOKEN}` } });
      await read.arrayBuffer();
      if (read.status === 200) {
        if (poll === 0) readableAtOnce += 1;
        lags.push(performance.now() - answered);
        break;
      }
    }
  }
  return { count, readableAtOnce, p50: percentile(lags, 50), p99: percentile(lags, 99) };
}

/** Sends copies of the rounds' ingest pushes for a phase's seconds and prints section 1b. */
export async function duplicatesAndReads(
  bench: Bench,
  { ingest, persistTo }: Targets,
  rounds: RoundsResult,
): Promise<DuplicatesResult> {
  const storedBefore = await storedEvents(ingest.url);
  const copies = createPushSource({
    runId: rounds.ingestPushes.runId,
    secret: PUSH_SECRET,
    callbackUrl: `${ingest.url}/webhooks/omisell`,
    payloadBytes: KiB,
    prefill: Math.min(rounds.ingestPushes.made, 20_000),
  });
  const dup = await bench.measure(ingest, copies, bench.settings.phaseSec);
  const storedAfter = await storedEvents(ingest.url);
  const shardBytes = claimShardStorageBytes(persistTo);
  const lag = await acceptedToReadable(bench, ingest.url, 50);
  bench.say("\n## 1b. Duplicates of accepted pushes, durable writes, accepted-to-readable");
  bench.say(table(LOAD_HEADERS, [loadRow("duplicates (copies of round pushes)", dup)]));
  bench.say(
    `rows stored by ${dup.total} duplicates: ${storedAfter - storedBefore} (events ${storedBefore} -> ${storedAfter}); ` +
      `duplicates/bare ${(dup.reqPerSec / rounds.bareRate).toFixed(2)}x`,
  );
  bench.say(
    `claim shard Durable Object storage files: ${rounds.shardBytesAtStart} bytes after the warm-up, ${shardBytes} bytes after ` +
      `${storedAfter} accepted pushes and ${dup.total} duplicates (grew ${shardBytes - rounds.shardBytesAtStart} bytes)`,
  );
  bench.say(
    "per accepted push: 1 durable write (the D1 insert); binding calls 3 before the 200 (claim shard begin, D1 batch " +
      "insert+read, queue send) + 1 after it (claim shard finish, in waitUntil)",
  );
  bench.say(
    "per duplicate answered from the shard's memory: 0 durable writes, 1 binding call (begin); from D1 (shard memory " +
      "lost): 0 durable writes, 3-4 calls (begin, D1 batch, finish; a send too while the row is still received)",
  );
  bench.say(
    `accepted-to-readable: ${lag.readableAtOnce}/${lag.count} pushes readable by the first GET /api/events/{id} after their 200 ` +
      `(that GET took p50 ${fmt(lag.p50, 1)} ms, p99 ${fmt(lag.p99, 1)} ms)`,
  );
  return {
    duplicates: { ...dup, stored: storedAfter - storedBefore },
    shardBytes: { atStart: rounds.shardBytesAtStart, atEnd: shardBytes },
    lag,
  };
}
