/**
 * Whether group commit can lift the push path past the one-write floor: at 1, 16 and 64
 * connections, rounds of ingest (omisell-push), the floor (one D1 insert and one queue send per
 * push) and the floor with group commit (pushes that arrive together share one D1 batch and one
 * sendBatch, workers/floor.ts), in turn. The grouped floor bounds any grouped push path from above:
 * ingest/floor could reach 1.2 only where grouped floor/floor is above 1.2.
 */
import { type Bench, KiB, LOAD_HEADERS, loadRow, type Measured, type Scenario, sayHeader } from "../bench.ts";
import { table } from "../report.ts";
import { startTargets } from "../targets.ts";

const CONNECTIONS = [1, 16, 64];
const GROUPED_PATH = "/webhooks/omisell/grouped";

type Point = { connections: number; ingest: Measured[]; floor: Measured[]; grouped: Measured[] };

const rate = (runs: Measured[]) => runs.reduce((n, r) => n + r.reqPerSec, 0);
const medianP50 = (runs: Measured[]) =>
  [...runs.map((r) => r.p50)].sort((a, b) => a - b)[Math.floor(runs.length / 2)] ?? 0;

async function measurePoint(bench: Bench, targets: Awaited<ReturnType<typeof startTargets>>, connections: number) {
  const { roundSec, rounds, warmupSec } = bench.settings;
  const expected = 1500 * (roundSec * rounds + warmupSec);
  const ingestPushes = bench.pushesFor(targets.ingest, KiB, expected);
  const floorPushes = bench.pushesFor(targets.floor, KiB, 2 * expected);
  const grouped = { connections, path: GROUPED_PATH };
  await bench.measure(targets.ingest, ingestPushes, warmupSec, { connections });
  await bench.measure(targets.floor, floorPushes, warmupSec, { connections });
  await bench.measure(targets.floor, floorPushes, warmupSec, grouped);
  const point: Point = { connections, ingest: [], floor: [], grouped: [] };
  for (let i = 0; i < rounds; i++) {
    point.ingest.push(await bench.measure(targets.ingest, ingestPushes, roundSec, { connections }));
    point.floor.push(await bench.measure(targets.floor, floorPushes, roundSec, { connections }));
    point.grouped.push(await bench.measure(targets.floor, floorPushes, roundSec, grouped));
  }
  bench.say(`\n### ${connections} connection${connections === 1 ? "" : "s"}`);
  bench.say(
    table(LOAD_HEADERS, [
      ...point.ingest.map((r, i) => loadRow(`round ${i + 1} ingest`, r)),
      ...point.floor.map((r, i) => loadRow(`round ${i + 1} floor`, r)),
      ...point.grouped.map((r, i) => loadRow(`round ${i + 1} floor, group commit`, r)),
    ]),
  );
  return point;
}

export default {
  summary: "ingest vs floor vs floor with group commit at 1, 16 and 64 connections",
  report: "group-commit-run",
  async run(bench) {
    sayHeader(bench);
    const targets = await startTargets(bench);
    bench.say("\n## Group commit: ingest vs floor vs floor with group commit, 1 KiB pushes");
    const points: Point[] = [];
    for (const connections of CONNECTIONS) points.push(await measurePoint(bench, targets, connections));
    const summary = points.map((p) => ({
      connections: p.connections,
      ingestOfFloor: rate(p.ingest) / rate(p.floor),
      groupedOfFloor: rate(p.grouped) / rate(p.floor),
      p50: { ingest: medianP50(p.ingest), floor: medianP50(p.floor), grouped: medianP50(p.grouped) },
      non2xx: [...p.ingest, ...p.floor, ...p.grouped].reduce((n, r) => n + r.non2xx + r.errors + r.timeouts, 0),
    }));
    bench.say("");
    for (const s of summary) {
      bench.say(
        `SUMMARY ${s.connections} connections: ingest/floor ${s.ingestOfFloor.toFixed(2)}x, ` +
          `grouped floor/floor ${s.groupedOfFloor.toFixed(2)}x, p50 ms ingest ${s.p50.ingest} floor ${s.p50.floor} ` +
          `grouped ${s.p50.grouped}, non-2xx ${s.non2xx}`,
      );
    }
    return { settings: bench.settings, summary };
  },
} satisfies Scenario;
