/**
 * Whether group commit can lift the push path past the one-write floor: at 1, 16 and 64
 * connections, rounds of ingest (omisell-push), the bare route (read the body, answer 200), the
 * floor (one D1 insert and one queue send per push) and the floor with group commit (pushes that arrive together share one D1 batch and one
 * sendBatch, workers/floor.ts), in turn. The grouped floor bounds any grouped push path from above:
 * ingest/floor could reach 1.2 only where grouped floor/floor is above 1.2. Each point is measured
 * twice: with autocannon (in this process, pre-signed HMAC pushes, as the rest of the bench) and,
 * when installed, with wrk (a separate C process; pushes signed by the static scheme).
 */
import {
  type Bench,
  KiB,
  LOAD_HEADERS,
  loadRow,
  type Measured,
  PUSH_SECRET,
  type Scenario,
  sayHeader,
} from "../bench.ts";
import { table } from "../report.ts";
import { startTargets, type Targets } from "../targets.ts";
import { hasWrk, runWrk, type WrkResult } from "../wrk.ts";

const CONNECTIONS = [1, 16, 64];
const GROUPED_PATH = "/webhooks/omisell/grouped";

type Point = { connections: number; ingest: Measured[]; bare: Measured[]; floor: Measured[]; grouped: Measured[] };
type WrkPoint = { ingest: WrkResult[]; bare: WrkResult[]; floor: WrkResult[]; grouped: WrkResult[] };

const rate = (runs: Measured[]) => runs.reduce((n, r) => n + r.reqPerSec, 0);
const medianP50 = (runs: Measured[]) =>
  [...runs.map((r) => r.p50)].sort((a, b) => a - b)[Math.floor(runs.length / 2)] ?? 0;

const wrkRate = (runs: WrkResult[]) => runs.reduce((n, r) => n + r.reqPerSec, 0);

/** The same point with wrk: ingest, floor and grouped floor in turn, `rounds` times. */
function measureWithWrk(bench: Bench, targets: Targets, connections: number, tempDir: string): WrkPoint {
  const { roundSec, rounds } = bench.settings;
  const point: WrkPoint = { ingest: [], bare: [], floor: [], grouped: [] };
  const run = (url: string, path: string, tag: string) =>
    runWrk({
      url,
      path,
      secret: PUSH_SECRET,
      runId: `${bench.runId}c${connections}${tag}`,
      connections,
      durationSec: roundSec,
      tempDir,
    });
  for (let i = 0; i < rounds; i++) {
    point.ingest.push(run(targets.ingest.url, "/webhooks/omisell", `i${i}`));
    point.bare.push(run(targets.bare.url, "/webhooks/omisell", `b${i}`));
    point.floor.push(run(targets.floor.url, "/webhooks/omisell", `f${i}`));
    point.grouped.push(run(targets.floor.url, GROUPED_PATH, `g${i}`));
  }
  const row = (label: string, r: WrkResult) => [
    label,
    r.reqPerSec.toFixed(0),
    r.p50.toFixed(1),
    r.p99.toFixed(1),
    r.non2xx,
    r.errors,
  ];
  bench.say(
    table(
      ["wrk run", "req/s", "p50 ms", "p99 ms", "non-2xx", "errors"],
      [
        ...point.ingest.map((r, i) => row(`round ${i + 1} ingest`, r)),
        ...point.bare.map((r, i) => row(`round ${i + 1} bare`, r)),
        ...point.floor.map((r, i) => row(`round ${i + 1} floor`, r)),
        ...point.grouped.map((r, i) => row(`round ${i + 1} floor, group commit`, r)),
      ],
    ),
  );
  return point;
}

async function measurePoint(bench: Bench, targets: Targets, connections: number) {
  const { roundSec, rounds, warmupSec } = bench.settings;
  const expected = 1500 * (roundSec * rounds + warmupSec);
  const ingestPushes = bench.pushesFor(targets.ingest, KiB, expected);
  const barePushes = bench.pushesFor(targets.bare, KiB, expected);
  const floorPushes = bench.pushesFor(targets.floor, KiB, 2 * expected);
  const grouped = { connections, path: GROUPED_PATH };
  await bench.measure(targets.ingest, ingestPushes, warmupSec, { connections });
  await bench.measure(targets.bare, barePushes, warmupSec, { connections });
  await bench.measure(targets.floor, floorPushes, warmupSec, { connections });
  await bench.measure(targets.floor, floorPushes, warmupSec, grouped);
  const point: Point = { connections, ingest: [], bare: [], floor: [], grouped: [] };
  for (let i = 0; i < rounds; i++) {
    point.ingest.push(await bench.measure(targets.ingest, ingestPushes, roundSec, { connections }));
    point.bare.push(await bench.measure(targets.bare, barePushes, roundSec, { connections }));
    point.floor.push(await bench.measure(targets.floor, floorPushes, roundSec, { connections }));
    point.grouped.push(await bench.measure(targets.floor, floorPushes, roundSec, grouped));
  }
  bench.say(`\n### ${connections} connection${connections === 1 ? "" : "s"}`);
  bench.say(
    table(LOAD_HEADERS, [
      ...point.ingest.map((r, i) => loadRow(`round ${i + 1} ingest`, r)),
      ...point.bare.map((r, i) => loadRow(`round ${i + 1} bare`, r)),
      ...point.floor.map((r, i) => loadRow(`round ${i + 1} floor`, r)),
      ...point.grouped.map((r, i) => loadRow(`round ${i + 1} floor, group commit`, r)),
    ]),
  );
  return point;
}

export default {
  summary: "ingest vs bare vs floor vs floor with group commit at 1, 16 and 64 connections (about 10 minutes)",
  report: "group-commit-run",
  async run(bench) {
    sayHeader(bench);
    const targets = await startTargets(bench);
    const wrk = hasWrk();
    const tempDir = bench.tempDir("omisell-bench-wrk-");
    bench.say("\n## Group commit: ingest vs bare vs floor vs floor with group commit, 1 KiB pushes");
    if (!wrk) bench.say("(wrk is not installed: autocannon only; apt-get install wrk for both views)");
    const points: (Point & { wrk: WrkPoint | null })[] = [];
    for (const connections of CONNECTIONS) {
      const point = await measurePoint(bench, targets, connections);
      points.push({ ...point, wrk: wrk ? measureWithWrk(bench, targets, connections, tempDir) : null });
    }
    const summary = points.map((p) => ({
      connections: p.connections,
      ingestOfFloor: rate(p.ingest) / rate(p.floor),
      ingestOfBare: rate(p.ingest) / rate(p.bare),
      floorOfBare: rate(p.floor) / rate(p.bare),
      groupedOfFloor: rate(p.grouped) / rate(p.floor),
      wrk: p.wrk && {
        ingestOfFloor: wrkRate(p.wrk.ingest) / wrkRate(p.wrk.floor),
        ingestOfBare: wrkRate(p.wrk.ingest) / wrkRate(p.wrk.bare),
        floorOfBare: wrkRate(p.wrk.floor) / wrkRate(p.wrk.bare),
        groupedOfFloor: wrkRate(p.wrk.grouped) / wrkRate(p.wrk.floor),
        non2xx: [...p.wrk.ingest, ...p.wrk.bare, ...p.wrk.floor, ...p.wrk.grouped].reduce(
          (n, r) => n + r.non2xx + r.errors,
          0,
        ),
      },
      p50: { ingest: medianP50(p.ingest), floor: medianP50(p.floor), grouped: medianP50(p.grouped) },
      non2xx: [...p.ingest, ...p.bare, ...p.floor, ...p.grouped].reduce(
        (n, r) => n + r.non2xx + r.errors + r.timeouts,
        0,
      ),
    }));
    bench.say("");
    for (const s of summary) {
      bench.say(
        `SUMMARY ${s.connections} connections: ingest/floor ${s.ingestOfFloor.toFixed(2)}x, ` +
          `ingest/bare ${s.ingestOfBare.toFixed(2)}x, floor/bare ${s.floorOfBare.toFixed(2)}x, ` +
          `grouped floor/floor ${s.groupedOfFloor.toFixed(2)}x, p50 ms ingest ${s.p50.ingest} floor ${s.p50.floor} ` +
          `grouped ${s.p50.grouped}, non-2xx ${s.non2xx}` +
          (s.wrk
            ? `; wrk: ingest/floor ${s.wrk.ingestOfFloor.toFixed(2)}x, ingest/bare ${s.wrk.ingestOfBare.toFixed(2)}x, floor/bare ${s.wrk.floorOfBare.toFixed(2)}x, grouped floor/floor ${s.wrk.groupedOfFloor.toFixed(2)}x, non-2xx ${s.wrk.non2xx}`
            : ""),
      );
    }
    return { settings: bench.settings, summary };
  },
} satisfies Scenario;
