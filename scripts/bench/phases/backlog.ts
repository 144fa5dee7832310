/**
 * Phase 2 of the bench: the follow-up consumer drains a backlog. The consumer mostly keeps up
 * during the rounds, so a backlog is built on purpose: the stand-in stalls (the one batch
 * `wrangler dev` runs at a time waits on it) while pushes arrive at full speed, then answers after
 * its usual latency again and the drain is timed.
 */
import { type Bench, READ_TOKEN } from "../bench.ts";
import { batchDurations, type Drain, measureDrain } from "../drain.ts";
import { fmt, median, percentile, table } from "../report.ts";
import type { Targets } from "../targets.ts";
import type { RoundsResult } from "./rounds.ts";

/** Builds the backlog with 3 s of the rounds' ingest pushes, times its drain and prints section 2. */
export async function drainBacklog(
  bench: Bench,
  { ingest, standin, worker }: Targets,
  rounds: RoundsResult,
): Promise<Drain> {
  const { standinLatencyMs, drainSec, followupParallelism, wranglerConfig } = bench.settings;
  const { fillRate } = rounds;
  standin.setKnobs({ latencyMs: 4000 });
  await bench.measure(ingest, rounds.ingestPushes, 3);
  await new Promise((r) => setTimeout(r, 1500));
  standin.setKnobs({ latencyMs: standinLatencyMs });
  const drain = await measureDrain({
    url: ingest.url,
    token: READ_TOKEN,
    standin,
    windowSec: drainSec,
    signal: bench.signal,
  });
  bench.say(
    `\n## 2. Follow-up drain of a backlog built by 3 s of pushes against a stalled stand-in (no pushes arriving while it drains; stand-in answers after ${standinLatencyMs} ms)`,
  );
  bench.say(
    table(
      ["backlog at start", "backlog at end", "seconds", "events/s", "order calls/s", "ingest fill rate req/s"],
      [
        [
          drain.backlogAtStart,
          drain.backlogAtEnd,
          fmt(drain.seconds, 1),
          fmt(drain.eventsPerSec),
          fmt(drain.orderCallsPerSec),
          fmt(fillRate),
        ],
      ],
    ),
  );
  if (drain.backlogAtStart === 0) bench.say("no backlog to drain: the consumer kept up with the rounds");
  const eventsPerSec = drain.eventsPerSec ?? 0;
  bench.say(
    `concurrency: FOLLOWUP_PARALLELISM=${followupParallelism} Omisell calls in flight per batch; wrangler dev ` +
      `runs one batch (max_batch_size in ${wranglerConfig}) at a time; Cloudflare runs max_concurrency at once; ` +
      `drain ${fmt(drain.eventsPerSec)} events/s vs fill ${fmt(fillRate)} pushes/s -> ` +
      `${eventsPerSec > fillRate ? "drains faster than ingest fills" : "ingest fills faster than the consumer drains"}`,
  );
  const batches = batchDurations(worker.logs()); // the last lines wrangler printed: mostly the drain
  if (batches.length > 0) {
    const times = batches.map((b) => b.ms);
    bench.say(
      `consumer batches seen in wrangler's log: ${batches.length}, median ${median(batches.map((b) => b.size))} messages ` +
        `in ${median(times)} ms (p95 ${percentile(times, 95)} ms)`,
    );
  }
  return drain;
}
