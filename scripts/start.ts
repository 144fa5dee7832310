/**
 * `npm start`: everything omisell-push needs, locally. Local D1 (migrations applied), Queues and
 * Durable Objects come from wrangler's local mode; dev secrets from .dev.vars; the Omisell API
 * from the stand-in on :8788. The worker listens on http://localhost:8787. Ctrl-C stops both.
 * Quiet by default (the requests, the worker's warnings and errors); `npm start -- --verbose`
 * prints all of wrangler's output.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parseDevVars, readTomlVars } from "./lib/dev-vars.ts";
import { applyLocalMigrations, ensureDevVars, ROOT, startWorker } from "./lib/local-stack.ts";
import { localVars, startBanner } from "./lib/start-banner.ts";
import { createWranglerFilter, lineSplitter, summariseMigrations } from "./lib/start-output.ts";
import { startOmisellStandin } from "./omisell-standin.ts";

const PORT = Number(process.env.PORT ?? 8787);
const STANDIN_PORT = Number(process.env.STANDIN_PORT ?? 8788);
const verbose = process.argv.includes("--verbose");

ensureDevVars();
const migrations = applyLocalMigrations(undefined, { quiet: !verbose });
if (!verbose) console.log(summariseMigrations(migrations) ?? migrations);

// STANDIN_RATE_LIMIT ("100/60", say) makes the stand-in throttle like Omisell's API budget.
const rateLimit = process.env.STANDIN_RATE_LIMIT;
const standin = await startOmisellStandin({ port: STANDIN_PORT, rateLimit });

const sources = {
  env: process.env,
  devVars: parseDevVars(readFileSync(join(ROOT, ".dev.vars"), "utf8")),
  tomlVars: readTomlVars(readFileSync(join(ROOT, "wrangler.toml"), "utf8")),
  standinUrl: standin.url,
};

// wrangler's lines, filtered unless --verbose: printed as they come, whole lines only.
const keep = createWranglerFilter({ verbose });
const lines = lineSplitter((line) => {
  if (keep(line)) console.log(line);
});
const worker = await startWorker({ port: PORT, vars: localVars(sources), onOutput: (chunk) => lines.push(chunk) });
const url = `http://localhost:${PORT}`;
console.log(startBanner({ ...sources, url, verbose, standinNote: rateLimit ? ` (rate limit ${rateLimit})` : "" }));

// wrangler dev runs cron triggers only when asked: ask at once and then every minute, as Cloudflare
// would, so the sweeper, reconciliation and the retention purge run locally too, and the doctor
// finds a fresh tick.
const tick = () => fetch(`${worker.url}/__scheduled?cron=${encodeURIComponent("* * * * *")}`).catch(() => {});
void tick();
const cron = setInterval(tick, 60_000);

let stopping = false;
async function shutdown() {
  if (stopping) return;
  stopping = true;
  clearInterval(cron);
  await worker.stop();
  lines.flush();
  await standin.close();
  process.exit(0);
}
process.on("SIGINT", shutdown);
process.on("SIGTERM", shutdown);
worker.child.once("exit", (code) => {
  if (!stopping) {
    lines.flush();
    console.error(`wrangler dev exited (${code})`);
    standin.close().finally(() => process.exit(code ?? 1));
  }
});
