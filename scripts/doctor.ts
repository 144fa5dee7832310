/**
 * `npm run doctor -- --url <worker> --admin-token <token> [--push-secret <secret>] [--callback-url <url>]`:
 * asks a deployed omisell-push how it is (`GET /api/doctor`) and prints a checklist with the
 * fix for each failed check; with the push secret it also sends a signed self-test push twice
 * (stored, then recognised as a duplicate). Exit status 0 only when every check passes.
 */
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { runDoctor } from "./doctor/report.ts";
import { workerBase } from "./lib/worker-url.ts";

const HELP = `npm run doctor -- --url <worker> --admin-token <token> [--push-secret <secret>] [--callback-url <url>]

Checks a deployed omisell-push and prints a checklist (✓/✗ name — detail, the fix under each
failed check). Exit status 0 only when every check passes.

  --url           the worker's URL (https://omisell-push.<subdomain>.workers.dev), or its callback URL
  --admin-token   one of the worker's ADMIN_API_TOKENS (or the environment variable ADMIN_API_TOKENS)
  --push-secret   the push secret (or OMISELL_PUSH_SECRET): also send a signed self-test push twice,
                  expecting it stored, then recognised as a duplicate
  --callback-url  the URL Omisell signs, when it differs from <url>/webhooks/omisell (a custom
                  domain or a proxy; the worker's PUBLIC_CALLBACK_URL)

A token or secret given on the command line is visible to other users of this machine (ps):
prefer the environment variables. Neither is ever printed.`;

/** The first value of a comma-separated list (the secrets allow several during a rotation). */
const firstOf = (list: string | undefined) =>
  list
    ?.split(",")
    .map((item) => item.trim())
    .find(Boolean);

/** Runs the doctor for `argv`; the exit status. */
export async function main(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  let values: { url?: string; "admin-token"?: string; "push-secret"?: string; "callback-url"?: string; help?: boolean };
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        url: { type: "string" },
        "admin-token": { type: "string" },
        "push-secret": { type: "string" },
        "callback-url": { type: "string" },
        help: { type: "boolean", short: "h" },
      },
    }));
  } catch (err) {
    console.error(`${(err as Error).message}\n\n${HELP}`);
    return 2;
  }
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  const adminToken = values["admin-token"] ?? firstOf(env.ADMIN_API_TOKENS);
  if (!values.url || !adminToken) {
    console.error(`${!values.url ? "--url" : "--admin-token"} is required\n\n${HELP}`);
    return 2;
  }
  let base: string;
  try {
    base = workerBase(values.url);
  } catch {
    console.error(`--url is not a URL: ${values.url}`);
    return 2;
  }
  console.log(`omisell-push doctor: ${base}`);
  const ok = await runDoctor(
    {
      base,
      adminToken,
      pushSecret: values["push-secret"] ?? firstOf(env.OMISELL_PUSH_SECRET),
      callbackUrl: values["callback-url"],
    },
    (line) => console.log(line),
  );
  return ok ? 0 : 1;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  process.exitCode = await main(process.argv.slice(2));
}
