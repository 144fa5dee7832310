/**
 * `npm run setup`: takes a logged-in wrangler to a running omisell-push, and can be run again
 * at any time (it creates only what is missing and says so). See `npm run setup -- --help`.
 */
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { setup } from "./setup/run.ts";

const HELP = `npm run setup [-- --yes] [--dry-run] [--auth-mode account|partner|token] [--country <code>]
                [--seller-id <id>] [--account-id <id>] [--skip-doctor] [--doctor-wait <seconds>]

From a logged-in wrangler (npx wrangler login) to a running deployment, idempotently:
  1. wrangler whoami; the D1 database, each queue and each secret that already exist are listed
  2. the D1 database of wrangler.toml is created when missing (wrangler d1 create), and its id
     written into wrangler.toml
  3. each queue of wrangler.toml that is missing is created (wrangler queues create)
  4. missing secrets are set with one wrangler secret bulk from a temporary file (mode 0600,
     removed at once): READ_API_TOKENS, ADMIN_API_TOKENS and SESSION_SECRET generated (32 random
     bytes each), and the Omisell settings asked for; secrets that exist are kept as they are
  5. wrangler d1 migrations apply DB --remote, then wrangler deploy
  6. the callback URL to paste into the Omisell console, then the doctor (npm run doctor)
It prints the plan and asks to go ahead before changing anything. The generated tokens are
printed once, at the end of the run that stored them.

  --dry-run        print the plan; run only whoami and the list commands
  --yes            ask nothing, not even to go ahead: take every answer from the flags and
                   environment variables below, and stop, naming them, when a required one is missing
  --auth-mode      how the worker calls the Omisell API (default: OMISELL_AUTH_MODE of wrangler.toml)
  --country        partner mode: the Country header Omisell expects (or OMISELL_COUNTRY)
  --seller-id      partner mode: the Seller-ID used when a push carries none (or OMISELL_SELLER_ID)
  --account-id     the Cloudflare account, when the login has several (or CLOUDFLARE_ACCOUNT_ID)
  --skip-doctor    do not run the doctor at the end
  --doctor-wait    after a deploy, how long the doctor waits for the cron's first tick (180)

Secret values are read from environment variables only, never from flags (a command line is
visible to other users of the machine):
  OMISELL_PUSH_SECRET   the push secret from the Omisell console (always)
  OMISELL_AUTH_MODE     account, partner or token (instead of --auth-mode)
  OMISELL_ACCOUNT_KEY   account mode
  OMISELL_PARTNER_KEY   partner mode (with OMISELL_COUNTRY, and OMISELL_SELLER_ID if wanted)
  OMISELL_API_KEY       token mode (with OMISELL_API_SECRET if your account has one)
  READ_API_TOKENS, ADMIN_API_TOKENS, SESSION_SECRET
                        used instead of generated values when set (and then not printed)
  ADMIN_API_TOKENS      also: the admin token the doctor uses on a run that generates none`;

/** Runs setup for `argv`; the exit status. */
export async function main(argv: string[]): Promise<number> {
  const parse = (args: string[]) =>
    parseArgs({
      args,
      options: {
        yes: { type: "boolean", short: "y" },
        "dry-run": { type: "boolean" },
        "auth-mode": { type: "string" },
        country: { type: "string" },
        "seller-id": { type: "string" },
        "account-id": { type: "string" },
        "skip-doctor": { type: "boolean" },
        "doctor-wait": { type: "string" },
        help: { type: "boolean", short: "h" },
      },
    });
  let values: ReturnType<typeof parse>["values"];
  try {
    ({ values } = parse(argv));
  } catch (err) {
    console.error(`${(err as Error).message}\n\n${HELP}`);
    return 2;
  }
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  const doctorWait = Number(values["doctor-wait"] ?? "180");
  if (!Number.isFinite(doctorWait) || doctorWait < 0) {
    console.error(`--doctor-wait must be a number of seconds, not ${values["doctor-wait"]}`);
    return 2;
  }
  return setup({
    cwd: process.cwd(),
    yes: values.yes === true,
    dryRun: values["dry-run"] === true,
    flags: {
      "auth-mode": values["auth-mode"],
      country: values.country,
      "seller-id": values["seller-id"],
      "account-id": values["account-id"],
    },
    skipDoctor: values["skip-doctor"] === true,
    doctorWaitMs: doctorWait * 1000,
    env: process.env,
  });
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  process.exitCode = await main(process.argv.slice(2));
}
