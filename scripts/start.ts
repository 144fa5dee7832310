/**
 * `npm start`: everything omisell-push needs, locally. Local D1 (migrations applied), Queues and
 * Durable Objects come from wrangler's local mode; dev secrets from .dev.vars; the Omisell API
 * from the stand-in on :8788. The worker listens on http://localhost:8787. Ctrl-C stops both.
 */
import { applyLocalMigrations, ensureDevVars, startWorker } from "./lib/local-stack.ts";
import { startOmisellStandin } from "./omisell-standin.ts";

const PORT = Number(process.env.PORT ?? 8787);
const STANDIN_PORT = Number(process.env.STANDIN_PORT ?? 8788);

ensureDevVars();
applyLocalMigrations();
// STANDIN_RATE_LIMIT ("100/60", say) makes the stand-in throttle like Omisell's API budget.
const standin = await startOmisellStandin({ port: STANDIN_PORT, rateLimit: process.env.STANDIN_RATE_LIMIT });
console.log(
  `Omisell stand-in on ${standin.url}${process.env.STANDIN_RATE_LIMIT ? ` (rate limit ${process.env.STANDIN_RATE_LIMIT})` : ""}`,
);
// Forwarding is on when FORWARD_URL and FORWARD_SECRET are in the environment (or in .dev.vars).
const forwarding: Record<string, string> = Object.fromEntries(
  ["FORWARD_URL", "FORWARD_SECRET", "FORWARD_BACKOFF_BASE_SECONDS"].flatMap((name) => {
    const value = process.env[name];
    return value ? [[name, value]] : [];
  }),
);
const worker = await startWorker({ port: PORT, vars: { OMISELL_API_BASE: standin.url, ...forwarding } });
console.log(`
omisell-push is running on http://localhost:${PORT}
  push endpoint  POST http://localhost:${PORT}/webhooks/omisell   (secret: OMISELL_PUSH_SECRET in .dev.vars)
  read API       http://localhost:${PORT}/api/events               (Authorization: Bearer dev-read-token)
  dashboard      http://localhost:${PORT}/dashboard
  change feed    npm run tail -- --url http://localhost:${PORT} --token dev-read-token
  archive        npm run export -- --url http://localhost:${PORT} --from <day> --to <day> --out events.ndjson
  forwarding     ${forwarding.FORWARD_URL ? `to ${forwarding.FORWARD_URL}` : "off (set FORWARD_URL and FORWARD_SECRET)"}
  try it         npm run simulate -- --url http://localhost:${PORT}/webhooks/omisell --secret dev-push-secret
`);

// wrangler dev runs cron triggers only when asked: ask every minute, as Cloudflare would, so the
// sweeper and the retention purge run locally too.
const cron = setInterval(() => {
  fetch(`${worker.url}/__scheduled?cron=${encodeURIComponent("* * * * *")}`).catch(() => {});
}, 60_000);

let stopping = false;
async function shutdown() {
  if (stopping) return;
  stopping = true;
  clearInterval(cron);
  await worker.stop();
  await standin.close();
  process.exit(0);
}
process.on("SIGINT", shutdown);
process.on("SIGTERM", shutdown);
worker.child.once("exit", (code) => {
  if (!stopping) {
    console.error(`wrangler dev exited (${code})`);
    standin.close().finally(() => process.exit(code ?? 1));
  }
});
