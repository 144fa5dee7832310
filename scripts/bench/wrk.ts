/**
 * Drives one target with `wrk` (Debian's package; a C load generator, lighter than autocannon in
 * the bench's own process): fixed connections and duration, each request a unique push signed by
 * the static scheme (the Authorization header is the push secret), so that wrk's Lua needs no
 * HMAC. Used where the bench reports both load generators' view (the group-commit scenario).
 */
import { spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";

export type WrkResult = { reqPerSec: number; p50: number; p99: number; non2xx: number; errors: number };

/** Whether `wrk` is on the PATH. */
export function hasWrk(): boolean {
  return spawnSync("wrk", ["--version"], { encoding: "utf8" }).error === undefined;
}

/** The Lua script: a counter per thread, a ~1 KiB order.created push per request. */
function script(secret: string, runId: string, path: string): string {
  const note = "x".repeat(800);
  return `
local threads = 0
function setup(thread)
  threads = threads + 1
  thread:set("tid", threads)
end
local n = 0
request = function()
  n = n + 1
  local id = "${runId}-" .. tid .. "-" .. n
  local body = '{"request_id":"wrk-' .. id .. '","event":"order.created","timestamp":1765000000,' ..
    '"data":{"omisell_order_number":"OMW' .. id .. '","order_number":"SHOP-' .. n .. '","seller_id":"S1","note":"${note}"}}'
  return wrk.format("POST", "${path}", { ["Content-Type"] = "application/json", ["Authorization"] = "${secret}" }, body)
end
`;
}

const ms = (value: string, unit: string) => Number(value) * (unit === "us" ? 0.001 : unit === "s" ? 1000 : 1);

/** Reads wrk's `--latency` report. */
export function parseWrk(output: string): WrkResult {
  const rate = /Requests\/sec:\s+([\d.]+)/.exec(output);
  const p50 = /\s50%\s+([\d.]+)(us|ms|s)\b/.exec(output);
  const p99 = /\s99%\s+([\d.]+)(us|ms|s)\b/.exec(output);
  const non2xx = /Non-2xx or 3xx responses:\s+(\d+)/.exec(output);
  const errors = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(output);
  return {
    reqPerSec: rate ? Number(rate[1]) : 0,
    p50: p50 ? ms(p50[1] ?? "0", p50[2] ?? "ms") : 0,
    p99: p99 ? ms(p99[1] ?? "0", p99[2] ?? "ms") : 0,
    non2xx: non2xx ? Number(non2xx[1]) : 0,
    errors: errors ? errors.slice(1).reduce((sum, value) => sum + Number(value), 0) : 0,
  };
}

/** One wrk run against `url` + `path` with `connections` for `durationSec`. */
export function runWrk(options: {
  url: string;
  path: string;
  secret: string;
  runId: string;
  connections: number;
  durationSec: number;
  tempDir: string;
}): WrkResult {
  const file = join(options.tempDir, `wrk-${options.runId}.lua`);
  writeFileSync(file, script(options.secret, options.runId, options.path));
  const threads = Math.min(2, options.connections);
  const run = spawnSync(
    "wrk",
    [`-t${threads}`, `-c${options.connections}`, `-d${options.durationSec}s`, "--latency", "-s", file, options.url],
    { encoding: "utf8", timeout: (options.durationSec + 30) * 1000 },
  );
  if (run.status !== 0) throw new Error(`wrk failed: ${run.stderr || run.stdout}`);
  return parseWrk(run.stdout);
}
