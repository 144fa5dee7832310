/**
 * Where a push spends its time: drives the steps worker (workers/steps.ts) with the same signed
 * pushes and connections as the bench, once per combination of steps, twice over in turn, and
 * prints the workerd CPU each request cost and the extra over the bare route (read body, parse
 * JSON). CPU per request hardly moves when other programs share the machine, so these figures
 * compare well even where requests/second do not.
 */
import type { Scenario, Target } from "../bench.ts";
import { createPushSource } from "../pushes.ts";
import { fmt, median, table } from "../report.ts";
import { migrateBenchWorker, STEPS_CONFIG } from "../targets.ts";

const SECRET = "bench-steps-secret";
const CONNECTIONS = 32;
/** What each run measures: a name, and the steps the worker runs (`?steps=`). */
const COMBINATIONS: [name: string, steps: string][] = [
  ["route only (read body, parse JSON)", ""],
  ["+ verify signature, parse envelope", "verify"],
  ["+ Durable Object call, no work", "do-nothing"],
  ["+ Durable Object call, one SQLite write", "do-write"],
  ["+ D1 SELECT 1", "d1-select"],
  ["+ begin + finish (claim shard, memory only)", "begin,finish"],
  ["+ insert (batch: INSERT .. RETURNING, SELECT)", "insert"],
  ["+ insert (INSERT .. RETURNING alone)", "insert-first"],
  ["+ enqueue", "enqueue"],
  ["D1 alone: verify, insert, enqueue", "verify,insert,enqueue"],
  ["v2 path: verify, begin, insert, enqueue, finish", "verify,begin,insert,enqueue,finish"],
];

type Sample = { cpu: number; reqPerSec: number; non2xx: number };

export default {
  summary: "where a push spends its time: workerd CPU per step of the push path (about 1.5 minutes)",
  knobs: "BENCH_STEP_SECONDS (4)",
  report: "steps-run",
  async run(bench) {
    const seconds = Number(process.env.BENCH_STEP_SECONDS ?? 4);
    const persistTo = bench.tempDir("omisell-bench-steps-");
    migrateBenchWorker(persistTo, STEPS_CONFIG);
    const worker = await bench.startWorker({ persistTo, config: STEPS_CONFIG });
    const pushes = createPushSource({
      runId: Date.now().toString(36),
      secret: SECRET,
      callbackUrl: `${worker.url}/webhooks/omisell`,
      payloadBytes: 1024,
      prefill: 60_000,
    });
    const target: Target = { tag: "s", url: worker.url, worker };
    await bench.measure(target, pushes, 3, { connections: CONNECTIONS }); // warm-up
    const samples = new Map<string, Sample[]>(COMBINATIONS.map(([name]) => [name, []]));
    for (let pass = 0; pass < 2; pass++) {
      for (const [name, steps] of COMBINATIONS) {
        const path = `/webhooks/omisell?steps=${steps}&secret=${SECRET}`;
        const result = await bench.measure(target, pushes, seconds, { connections: CONNECTIONS, path });
        samples
          .get(name)
          ?.push({ cpu: result.cpuMsPerRequest.workerd ?? 0, reqPerSec: result.reqPerSec, non2xx: result.non2xx });
      }
    }
    const runsOf = (name: string) => samples.get(name) ?? [];
    const base = median(runsOf(COMBINATIONS[0]?.[0] ?? "").map((s) => s.cpu)) ?? 0;
    const rows = COMBINATIONS.map(([name]) => {
      const runs = runsOf(name);
      const cpu = median(runs.map((s) => s.cpu));
      return {
        name,
        cpuMs: cpu,
        extraMs: cpu === null ? null : cpu - base,
        reqPerSec: median(runs.map((s) => s.reqPerSec)),
        non2xx: runs.reduce((n, s) => n + s.non2xx, 0),
      };
    });
    bench.say(`workerd CPU per request, median of 2 passes of ${seconds} s, ${CONNECTIONS} connections, 1 KiB pushes`);
    bench.say(
      table(
        ["steps", "workerd CPU ms/req", "extra ms", "req/s", "non-2xx"],
        rows.map((r) => [r.name, fmt(r.cpuMs, 2), fmt(r.extraMs, 2), fmt(r.reqPerSec), r.non2xx]),
      ),
    );
    return { seconds, connections: CONNECTIONS, rows };
  },
} satisfies Scenario;
