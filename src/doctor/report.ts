/**
 * GET /api/doctor's answer: every check run side by side, each within its own time bound, so one
 * that fails or hangs never stops the others and the whole answer comes within about 10 s.
 */
import { z } from "zod";
import { checkDurableObjects, checkQueues } from "./binding-checks";
import { CHECK_NAMES, type DoctorCheck, runCheck } from "./check";
import { checkConfig } from "./config-check";
import { checkDestinations } from "./destinations";
import { checkOmisell } from "./omisell-check";
import { checkCron, checkD1, checkPushes } from "./storage-checks";

/** The bound of a check that only reads D1 or calls a binding. */
const CHECK_TIMEOUT_MS = 5_000;
/** The Omisell call may wait for a limiter slot (up to 6 s) before its own 8 s timeout. */
const OMISELL_TIMEOUT_MS = 10_000;

export const DoctorCheckView = z
  .object({
    name: z.enum(CHECK_NAMES),
    ok: z.boolean(),
    detail: z.string().meta({ description: "What the check found. Setting names only, never a value." }),
    fix: z.string().nullable().meta({ description: "What to do, when the check failed; null when it passed." }),
  })
  .meta({ id: "DoctorCheck" });

export const DoctorReport = z
  .object({
    ok: z.boolean().meta({ description: "True when every check passed." }),
    checks: z.array(DoctorCheckView),
  })
  .meta({ id: "DoctorReport" });

export type DoctorReport = z.infer<typeof DoctorReport>;

export type DoctorOptions = {
  /** The URL the request came in on: a local worker may use the local Omisell stand-in. */
  requestUrl: string;
  now: number;
  /** The migration that must be applied; the newest bundled one unless a test says otherwise. */
  latestMigration?: string;
};

/**
 * Runs the checks `config`, `d1`, `queues`, `durable_objects`, `omisell`, `cron`, `destinations`
 * and `pushes` (check.ts, in that order) and says whether all passed. Each failed check carries
 * its fix. Nothing it says holds a secret: settings are named, never shown.
 */
export async function runDoctor(env: Env, options: DoctorOptions): Promise<DoctorReport> {
  const { now } = options;
  const checks: DoctorCheck[] = await Promise.all([
    runCheck(
      "config",
      CHECK_TIMEOUT_MS,
      async () => checkConfig(env, options.requestUrl),
      "look at the worker's log (npx wrangler tail) for config_invalid",
    ),
    runCheck(
      "d1",
      CHECK_TIMEOUT_MS,
      () => checkD1(env.DB, options.latestMigration),
      "check that the database_id of [[d1_databases]] in wrangler.toml is the one npx wrangler d1 list shows, then apply the migrations: npx wrangler d1 migrations apply DB --remote",
    ),
    runCheck(
      "queues",
      CHECK_TIMEOUT_MS,
      () => checkQueues(env),
      "create the queues of wrangler.toml with npx wrangler queues create <name> (npm run setup does), then deploy",
    ),
    runCheck(
      "durable_objects",
      CHECK_TIMEOUT_MS,
      () => checkDurableObjects(env),
      "deploy again with npx wrangler deploy: it creates the Durable Object classes of wrangler.toml",
    ),
    runCheck(
      "omisell",
      OMISELL_TIMEOUT_MS,
      () => checkOmisell(env, now),
      "check OMISELL_API_BASE and the Omisell keys of OMISELL_AUTH_MODE, and Omisell's status",
    ),
    runCheck(
      "cron",
      CHECK_TIMEOUT_MS,
      () => checkCron(env.DB, now),
      'keep crons = ["* * * * *"] under [triggers] in wrangler.toml and deploy',
    ),
    runCheck(
      "destinations",
      CHECK_TIMEOUT_MS,
      () => checkDestinations(env, now),
      "look at /dashboard/deliveries and the worker's log (npx wrangler tail)",
    ),
    runCheck(
      "pushes",
      CHECK_TIMEOUT_MS,
      () => checkPushes(env, now),
      "check OMISELL_PUSH_SECRET and SIGNATURE_MODE; look at the worker's log (npx wrangler tail)",
    ),
  ]);
  return { ok: checks.every((check) => check.ok), checks };
}
