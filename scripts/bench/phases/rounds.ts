/**
 * Phase 1 of the bench: ingest vs bare vs floor. A warm-up of each, then A B C rounds of the same
 * connections and duration, so drift on a shared machine hits all three; the ratios per round
 * and over all rounds (sum over sum), and the follow-up consumer's pace meanwhile.
 */
import { type Bench, KiB, LOAD_HEADERS, loadRow, type Measured } from "../bench.ts";
import type { PushSource } from "../pushes.ts";
import { table } from "../report.ts";
import { claimShardStorageBytes, type Targets } from "../targets.ts";

export type Round = { ingest: Measured; bare: Measured; floor: Measured };

export type RoundsResult = {
  connections: number;
  rounds: Round[];
  /** ingest/bare of each round. */
  perRound: number[];
  /** ingest/bare over all rounds. */
  overall: number;
  floorOfBare: number;
  ofFloor: number;
  /** Non-2xx answers, errors and timeouts of ingest over all rounds. */
  non2xx: number;
  worstP99: number;
  /** Mean ingest req/s of the rounds: how fast pushes fill the follow-up queue. */
  fillRate: number;
  /** Mean bare req/s of the rounds. */
  bareRate: number;
  /** The ingest pushes of the rounds (later phases send more, or copies, of them). */
  ingestPushes: PushSource;
  /** Claim shard storage after the warm-up: every shard exists by then. */
  shardBytesAtStart: number;
};

/** Runs the warm-up and the rounds at `connections` and prints section 1. */
export async function ingestRounds(
  bench: Bench,
  { ingest, bare, floor, standin, persistTo }: Targets,
  connections = bench.settings.connections,
): Promise<RoundsResult> {
  const { roundSec, rounds: roundCount, warmupSec } = bench.settings;
  const expected = 1500 * (roundSec * roundCount + warmupSec);
  const ingestPushes = bench.pushesFor(ingest, KiB, expected);
  const barePushes = bench.pushesFor(bare, KiB, expected);
  const floorPushes = bench.pushesFor(floor, KiB, expected);
  const warmIngest = await bench.measure(ingest, ingestPushes, warmupSec, { connections });
  const warmBare = await bench.measure(bare, barePushes, warmupSec, { connections });
  const warmFloor = await bench.measure(floor, floorPushes, warmupSec, { connections });
  // Every claim shard exists by now; an SQLite-backed object has a file even if it never writes.
  const shardBytesAtStart = claimShardStorageBytes(persistTo);
  const callsBefore = standin.stats().routes.order ?? 0;
  const started = performance.now();
  const rounds: Round[] = [];
  for (let i = 0; i < roundCount; i++) {
    const a = await bench.measure(ingest, ingestPushes, roundSec, { connections });
    const b = await bench.measure(bare, barePushes, roundSec, { connections });
    const c = await bench.measure(floor, floorPushes, roundSec, { connections });
    rounds.push({ ingest: a, bare: b, floor: c });
  }
  const consumerCallsPerSec =
    ((standin.stats().routes.order ?? 0) - callsBefore) / ((performance.now() - started) / 1000);
  const sum = (key: keyof Round) => rounds.reduce((total, r) => total + r[key].reqPerSec, 0);
  const perRound = rounds.map((r) => r.ingest.reqPerSec / r.bare.reqPerSec);
  const overall = sum("ingest") / sum("bare");
  const ofFloor = sum("ingest") / sum("floor");
  const floorOfBare = sum("floor") / sum("bare");
  const non2xx = rounds.reduce((n, r) => n + r.ingest.non2xx + r.ingest.errors + r.ingest.timeouts, 0);
  const worstP99 = Math.max(...rounds.map((r) => r.ingest.p99));

  bench.say(
    "\n## 1. Ingest (POST /webhooks/omisell, full path) vs bare Hono route vs floor (D1 insert + queue send), 1 KiB pushes",
  );
  bench.say(
    table(LOAD_HEADERS, [
      loadRow("warm-up ingest", warmIngest),
      loadRow("warm-up bare", warmBare),
      loadRow("warm-up floor", warmFloor),
      ...rounds.flatMap((r, i) => [
        loadRow(`round ${i + 1} ingest (A)`, r.ingest),
        loadRow(`round ${i + 1} bare (B)`, r.bare),
        loadRow(`round ${i + 1} floor (C)`, r.floor),
      ]),
    ]),
  );
  bench.say("");
  bench.say(
    table(
      ["round", "ingest/bare", "floor/bare", "ingest/floor"],
      [
        ...rounds.map((r, i) => [
          `round ${i + 1}`,
          `${(r.ingest.reqPerSec / r.bare.reqPerSec).toFixed(2)}x`,
          `${(r.floor.reqPerSec / r.bare.reqPerSec).toFixed(2)}x`,
          `${(r.ingest.reqPerSec / r.floor.reqPerSec).toFixed(2)}x`,
        ]),
        ["all rounds", `${overall.toFixed(2)}x`, `${floorOfBare.toFixed(2)}x`, `${ofFloor.toFixed(2)}x`],
      ],
    ),
  );
  bench.say(
    `target: ingest within 90 % of the floor -> ${ofFloor >= 0.9 ? "MET" : "NOT MET"} (ingest/floor ${ofFloor.toFixed(2)}x)`,
  );
  bench.say(
    `target: ingest >= 0.50x bare with zero non-2xx -> ${overall >= 0.5 && non2xx === 0 ? "MET" : "NOT MET"} ` +
      `(ratio ${overall.toFixed(2)}x, non-2xx/errors ${non2xx}, worst ingest p99 ${worstP99} ms vs Omisell's 3000 ms)`,
  );
  bench.say(
    `follow-up consumer during the rounds: ${consumerCallsPerSec.toFixed(0)} Omisell order calls/s ` +
      `(it shares the worker's CPU with ingest)`,
  );
  return {
    connections,
    rounds,
    perRound,
    overall,
    floorOfBare,
    ofFloor,
    non2xx,
    worstP99,
    fillRate: sum("ingest") / rounds.length,
    bareRate: sum("bare") / rounds.length,
    ingestPushes,
    shardBytesAtStart,
  };
}
