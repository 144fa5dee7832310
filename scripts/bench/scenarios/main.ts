/**
 * The whole benchmark, phases 1 to 6 on one stack: ingest vs bare vs floor, duplicates and
 * accepted-to-readable, the follow-up drain, one connection, payload size, stored events with
 * rows read, and query plans; then one SUMMARY line. BENCHMARKS.md explains the method.
 */
import { type Scenario, sayHeader } from "../bench.ts";
import { drainBacklog } from "../phases/backlog.ts";
import { duplicatesAndReads } from "../phases/duplicates.ts";
import { payloadSizes } from "../phases/payload.ts";
import { queryPlans } from "../phases/plans.ts";
import { ingestRounds } from "../phases/rounds.ts";
import { onePushAtATime } from "../phases/single.ts";
import { storedEventsGrowth } from "../phases/stored.ts";
import { fmt } from "../report.ts";
import { startTargets } from "../targets.ts";

export default {
  summary: "the whole benchmark, phases 1 to 6 (about 5 minutes)",
  report: "last-run",
  async run(bench) {
    const started = Date.now();
    sayHeader(bench);
    const targets = await startTargets(bench);
    const rounds = await ingestRounds(bench, targets);
    const { duplicates, shardBytes, lag } = await duplicatesAndReads(bench, targets, rounds);
    const drain = await drainBacklog(bench, targets, rounds);
    await onePushAtATime(bench, targets);
    await payloadSizes(bench, targets);
    await bench.stopWorker(targets.worker);
    const { grownState, seeded, statsRead, listRead } = await storedEventsGrowth(bench, targets);
    const plans = await queryPlans(bench, grownState, seeded);

    const { perRound, overall, floorOfBare, ofFloor, non2xx, worstP99, fillRate } = rounds;
    bench.say(`\nbench finished in ${((Date.now() - started) / 1000).toFixed(0)} s`);
    bench.say(
      `SUMMARY ingest/bare ${overall.toFixed(2)}x (rounds ${perRound.map((r) => r.toFixed(2)).join(", ")}), ` +
        `floor/bare ${floorOfBare.toFixed(2)}x, ingest/floor ${ofFloor.toFixed(2)}x, ` +
        `non-2xx ${non2xx}, ingest p99 <= ${worstP99} ms, drain ${fmt(drain.eventsPerSec)} events/s vs fill ${fmt(fillRate)} /s, ` +
        `stats rows read ${statsRead.current} (before ${statsRead.previous}), ` +
        `list rows read max ${Math.max(...listRead.map((r) => r[3]))}`,
    );
    return {
      settings: bench.settings,
      rounds: rounds.rounds,
      perRound,
      overall,
      floorOfBare,
      ofFloor,
      non2xx,
      duplicates,
      shardBytes,
      lag,
      drain,
      fillRate,
      statsRead,
      listRead,
      plans,
    };
  },
} satisfies Scenario;
