/**
 * What `npm start` runs with and says it runs with: the worker's local-only vars (passed as
 * `--var`, so `.dev.vars.example` holds nothing but secrets), and the banner built from the same
 * sources wrangler reads (the environment's pass-through vars, then `.dev.vars`, then wrangler.toml).
 * Pure.
 */

/** Settings `npm start` takes from its own environment and hands to the worker (they override .dev.vars). */
export const PASSED_THROUGH = [
  "FORWARD_URL",
  "FORWARD_SECRET",
  "FORWARD_BACKOFF_BASE_SECONDS",
  "ALERT_URL",
  "ALERT_SECRET",
  "ALERT_FORMAT",
] as const;

export type StartSources = {
  /** `process.env` */
  env: Record<string, string | undefined>;
  /** `.dev.vars`, parsed ({} when there is none). */
  devVars: Record<string, string>;
  /** wrangler.toml's `[vars]`. */
  tomlVars: Record<string, string>;
  standinUrl: string;
};

/**
 * The `--var`s of the worker: the pass-through settings the environment has, and the Omisell
 * stand-in as OMISELL_API_BASE unless `.dev.vars` names another API (a `--var` would override it).
 */
export function localVars(sources: StartSources): Record<string, string> {
  const vars: Record<string, string> = {};
  for (const name of PASSED_THROUGH) {
    const value = sources.env[name];
    if (value) vars[name] = value;
  }
  if (!sources.devVars.OMISELL_API_BASE) vars.OMISELL_API_BASE = sources.standinUrl;
  return vars;
}

/** A value as the worker will see it: a `--var`, else `.dev.vars`, else wrangler.toml. */
function effective(sources: StartSources, name: string): { value: string; from: string } | null {
  const passed = localVars(sources)[name];
  if (passed) return { value: passed, from: name === "OMISELL_API_BASE" ? "npm start" : "the environment" };
  if (sources.devVars[name]) return { value: sources.devVars[name], from: ".dev.vars" };
  if (sources.tomlVars[name]) return { value: sources.tomlVars[name], from: "wrangler.toml" };
  return null;
}

const first = (list: string | undefined) => list?.split(",")[0]?.trim() || undefined;

/** The lines printed once the worker answers: addresses, the tokens to use, and what is on. */
export function startBanner(sources: StartSources & { url: string; verbose: boolean; standinNote?: string }): string {
  const { url } = sources;
  const secret = first(sources.devVars.OMISELL_PUSH_SECRET);
  const read = first(sources.devVars.READ_API_TOKENS);
  const admin = first(sources.devVars.ADMIN_API_TOKENS);
  const api = effective(sources, "OMISELL_API_BASE");
  const forward = effective(sources, "FORWARD_URL");
  const alerts = effective(sources, "ALERT_URL");
  const every = Number(effective(sources, "RECONCILE_EVERY_MINUTES")?.value ?? "15");
  const omisell =
    api?.from === "npm start"
      ? `the stand-in on ${api.value}${sources.standinNote ?? ""}`
      : `${api?.value ?? "https://api.omisell.com"} (from ${api?.from ?? "the default"}; the stand-in still runs on ${sources.standinUrl})`;
  const rows: [string, string][] = [
    [
      "push endpoint",
      `POST ${url}/webhooks/omisell   (push secret: ${secret ?? "OMISELL_PUSH_SECRET is not set in .dev.vars"})`,
    ],
    [
      "dashboard",
      `${url}/dashboard   (sign in with ${read ?? "a READ_API_TOKENS value"}, or ${admin ?? "an ADMIN_API_TOKENS value"} to act)`,
    ],
    ["read API", `${url}/api/events   (Authorization: Bearer ${read ?? "<READ_API_TOKENS>"})`],
    ["reference", `${url}/docs`],
    ["Omisell API", omisell],
    [
      "forwarding",
      forward
        ? `on, to ${forward.value} (FORWARD_URL from ${forward.from})`
        : "off (set FORWARD_URL and FORWARD_SECRET)",
    ],
    ["alerts", alerts ? `on, to ${alerts.value} (ALERT_URL from ${alerts.from})` : "off (set ALERT_URL)"],
    [
      "reconciliation",
      Number.isFinite(every) && every > 0
        ? `every ${every} minutes (RECONCILE_EVERY_MINUTES)`
        : "off (RECONCILE_EVERY_MINUTES = 0)",
    ],
    ["change feed", `npm run tail -- --url ${url} --token ${read ?? "<READ_API_TOKENS>"}`],
    [
      "archive",
      `npm run export -- --url ${url} --token ${read ?? "<READ_API_TOKENS>"} --from <day> --to <day> --out events.ndjson`,
    ],
    ["try it", `npm run simulate -- --url ${url}/webhooks/omisell --secret ${secret ?? "<OMISELL_PUSH_SECRET>"}`],
    [
      "check it",
      `npm run doctor -- --url ${url} --admin-token ${admin ?? "<ADMIN_API_TOKENS>"} --push-secret ${secret ?? "<OMISELL_PUSH_SECRET>"}`,
    ],
  ];
  const width = Math.max(...rows.map(([label]) => label.length));
  return [
    "",
    `omisell-push is running on ${url}`,
    ...rows.map(([label, text]) => `  ${label.padEnd(width)}  ${text}`),
    "",
    sources.verbose
      ? "All of wrangler's output follows (--verbose)."
      : "Requests and the worker's warnings follow; wrangler's tables and offline warnings are hidden (npm start -- --verbose shows all).",
    "",
  ].join("\n");
}
