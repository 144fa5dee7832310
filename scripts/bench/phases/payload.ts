/**
 * Phase 4 of the bench: how push size weighs: 1 KiB, 64 KiB and 200 KiB pushes, ingest then bare
 * at each size.
 */
import { type Bench, KiB } from "../bench.ts";
import { type Cell, fmt, table } from "../report.ts";
import type { Targets } from "../targets.ts";

export const PAYLOAD_SIZES = [1 * KiB, 64 * KiB, 200 * KiB];

/** Runs each size against ingest and bare and prints section 4; returns its rows. */
export async function payloadSizes(bench: Bench, { ingest, bare }: Targets): Promise<Cell[][]> {
  const seconds = bench.settings.phaseSec;
  bench.say(`\n## 4. Payload size (${seconds} s each, ingest then bare)`);
  const rows: Cell[][] = [];
  for (const size of PAYLOAD_SIZES) {
    const count = Math.ceil((size <= KiB ? 1500 : 400) * seconds * 1.5);
    const a = await bench.measure(ingest, bench.pushesFor(ingest, size, count), seconds);
    const b = await bench.measure(bare, bench.pushesFor(bare, size, count), seconds);
    rows.push([
      `${size / KiB} KiB`,
      fmt(a.reqPerSec),
      fmt(a.p50),
      fmt(a.p99),
      a.non2xx + a.errors + a.timeouts,
      fmt(b.reqPerSec),
      `${(a.reqPerSec / b.reqPerSec).toFixed(2)}x`,
      fmt(a.cpuMsPerRequest.workerd, 2),
    ]);
  }
  bench.say(
    table(
      ["payload", "ingest req/s", "p50 ms", "p99 ms", "non-2xx", "bare req/s", "ingest/bare", "workerd CPU ms/push"],
      rows,
    ),
  );
  return rows;
}
