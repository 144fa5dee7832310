/**
 * Where a push spends its time: `npx node scripts/bench/steps.mjs` drives the steps worker with
 * the same signed pushes and connections as the bench, once per combination of steps, twice over
 * in turn, and prints the workerd CPU each request cost and the extra over the bare route
 * (read body, parse JSON). CPU per request hardly moves when other programs share the machine,
 * so these figures compare well even where requests/second do not.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort, startWorker, wrangler } from "../lib/local-stack.ts";
import { cpuByName, cpuPerRequest } from "./cpu.mjs";
import { runLoad } from "./load.mjs";
import { createPushSource } from "./pushes.mjs";
import { fmt, median, table } from "./report.mjs";

const CONFIG = "scripts/bench/wrangler.steps.toml";
const SECONDS = Number(process.env.BENCH_STEP_SECONDS ?? 4);
const SECRET = "bench-steps-secret";
const COMBINATIONS = [
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

const persistTo = mkdtempSync(join(tmpdir(), "omisell-bench-steps-"));
let worker;
const stopAll = async () => {
  await worker?.stop();
  rmSync(persistTo, { recursive: true, force: true });
};
process.once("SIGINT", () => stopAll().then(() => process.exit(130)));

try {
  const migrated = wrangler(
    ["d1", "migrations", "apply", "DB", "--local", "--persist-to", persistTo, "--config", CONFIG],
    {
      stdio: "pipe",
    },
  );
  if (migrated.status !== 0) throw new Error(`migrations failed:\n${migrated.stdout}${migrated.stderr}`);
  worker = await startWorker({ port: await freePort(), persistTo, quiet: true, config: CONFIG });
  const pushes = createPushSource({
    runId: Date.now().toString(36),
    secret: SECRET,
    callbackUrl: `${worker.url}/webhooks/omisell`,
    payloadBytes: 1024,
    prefill: 60_000,
  });
  await runLoad({ url: worker.url, source: pushes, connections: 32, durationSec: 3 }); // warm-up
  const samples = new Map(COMBINATIONS.map(([name]) => [name, []]));
  for (let pass = 0; pass < 2; pass++) {
    for (const [name, steps] of COMBINATIONS) {
      const before = cpuByName(worker.child.pid);
      const result = await runLoad({
        url: worker.url,
        path: `/webhooks/omisell?steps=${steps}&secret=${SECRET}`,
        source: pushes,
        connections: 32,
        durationSec: SECONDS,
      });
      const cpu = cpuPerRequest(before, cpuByName(worker.child.pid), result.total);
      samples.get(name).push({ cpu: cpu.workerd ?? 0, reqPerSec: result.reqPerSec, non2xx: result.non2xx });
    }
  }
  const base = median(samples.get(COMBINATIONS[0][0]).map((s) => s.cpu));
  console.log(`workerd CPU per request, median of 2 passes of ${SECONDS} s, 32 connections, 1 KiB pushes`);
  console.log(
    table(
      ["steps", "workerd CPU ms/req", "extra ms", "req/s", "non-2xx"],
      COMBINATIONS.map(([name]) => {
        const runs = samples.get(name);
        const cpu = median(runs.map((s) => s.cpu));
        return [
          name,
          fmt(cpu, 2),
          fmt(cpu - base, 2),
          fmt(median(runs.map((s) => s.reqPerSec))),
          runs.reduce((n, s) => n + s.non2xx, 0),
        ];
      }),
    ),
  );
} finally {
  await stopAll();
}
