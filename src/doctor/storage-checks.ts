/** The doctor's checks that read D1: `d1` (the schema is current), `cron` (it ticks), `pushes` (they arrive, signed). */
import { readConfig } from "../config";
import { readCronTick } from "../store/cron-tick";
import { LATEST_MIGRATION, readLastPush, readMigrationState } from "../store/doctor-reads";
import { ago, type Finding, fail, pass } from "./check";

/** The cron runs every minute: a tick older than this means it does not. */
export const CRON_SILENT_AFTER_MS = 3 * 60_000;

/** D1 answers, and the newest migration bundled with this worker (`latest`) is applied. */
export async function checkD1(db: D1Database, latest: string = LATEST_MIGRATION): Promise<Finding> {
  const state = await readMigrationState(db, latest);
  if (state.applied) return pass(`reachable; the latest migration ${latest} is applied`);
  return fail(
    `reachable, but migration ${latest} is not applied (the newest applied is ${state.newestApplied ?? "none"})`,
    "apply the migrations: npx wrangler d1 migrations apply DB --remote (npm run deploy does it before deploying)",
  );
}

/** The cron's last tick (written first in every run) is at most 3 minutes old. */
export async function checkCron(db: D1Database, now: number): Promise<Finding> {
  const tick = await readCronTick(db);
  const fix =
    'the cron runs every minute once deployed: keep crons = ["* * * * *"] under [triggers] in wrangler.toml, deploy, and look at the worker\'s Triggers in the Cloudflare dashboard; locally, trigger it with curl http://127.0.0.1:8787/cdn-cgi/local/scheduled';
  if (!tick) return fail("the cron has never run on this database", fix);
  const age = now - tick.tickedAt;
  if (age > CRON_SILENT_AFTER_MS) return fail(`the cron last ran ${ago(age)} ago`, fix);
  return pass(`the cron last ran ${ago(age)} ago`);
}

/**
 * The push side: a push secret when signatures are checked, SIGNATURE_MODE, and the last push
 * Omisell sent (self-tests left out): when, and whether its signature was valid, under which scheme.
 * A deployment that has had no push yet passes: that is the state right after setup.
 */
export async function checkPushes(env: Env, now: number): Promise<Finding> {
  const push = readConfig(env).push;
  const mode = `SIGNATURE_MODE ${push.signatureMode}`;
  if (push.signatureMode !== "off" && push.secrets.length === 0) {
    return fail(
      push.signatureMode === "enforce"
        ? `${mode} without OMISELL_PUSH_SECRET: every push is refused (503)`
        : `${mode} without OMISELL_PUSH_SECRET: pushes are stored unchecked`,
      "set the push secret shown in the Omisell console: npx wrangler secret put OMISELL_PUSH_SECRET",
    );
  }
  const last = await readLastPush(env.DB);
  if (!last) return pass(`${mode}; no push yet: paste the callback URL into the Omisell console`);
  const when = `the last push ${ago(now - last.received_at)} ago`;
  if (last.signature_valid === false) {
    return fail(
      `${mode}; ${when} failed its signature check`,
      "OMISELL_PUSH_SECRET must be the secret the Omisell console shows (npx wrangler secret put OMISELL_PUSH_SECRET); if Omisell calls another URL than the worker sees, set PUBLIC_CALLBACK_URL to it",
    );
  }
  const signature =
    last.signature_valid === null ? "signature not checked" : `signature valid (${last.signature_scheme ?? "?"})`;
  return pass(`${mode}; ${when}, ${signature}`);
}
