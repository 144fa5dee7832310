/**
 * Phase 3 of the bench: one push at a time, as a single Omisell sender would see it when nothing
 * queues in front of it: one connection to ingest, then to bare.
 */
import { type Bench, KiB, LOAD_HEADERS, loadRow, type Measured } from "../bench.ts";
import { table } from "../report.ts";
import type { Targets } from "../targets.ts";

export async function onePushAtATime(
  bench: Bench,
  { ingest, bare }: Targets,
): Promise<{ ingest: Measured; bare: Measured }> {
  const seconds = bench.settings.phaseSec;
  bench.say(`\n## 3. One connection: latency of a single push (${seconds} s each)`);
  const one = { connections: 1 };
  const single = await bench.measure(ingest, bench.pushesFor(ingest, KiB, 2000 * seconds), seconds, one);
  const singleBare = await bench.measure(bare, bench.pushesFor(bare, KiB, 2000 * seconds), seconds, one);
  bench.say(table(LOAD_HEADERS, [loadRow("ingest, 1 connection", single), loadRow("bare, 1 connection", singleBare)]));
  return { ingest: single, bare: singleBare };
}
