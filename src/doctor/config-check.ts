/** The doctor's `config` check: every setting the deployment needs is present and usable; names only, never values. */
import { type Config, ConfigError, readConfig } from "../config";
import { type Finding, fail, pass } from "./check";

const SECRET_FIX =
  "set each missing or unusable one (secrets: npx wrangler secret put NAME; vars: wrangler.toml [vars], then deploy); npm run setup sets missing secrets";

/** The Omisell keys each auth mode needs (partner's OMISELL_SELLER_ID is optional: the doctor's omisell check asks for it). */
const KEYS_OF_MODE = {
  account: ["OMISELL_ACCOUNT_KEY"],
  partner: ["OMISELL_PARTNER_KEY", "OMISELL_COUNTRY"],
  token: ["OMISELL_API_KEY"],
} as const;

/** The names of the settings of every config section that cannot be read (a bad value). */
function unusableSettings(config: Config): string[] {
  const names: string[] = [];
  for (const section of Object.keys(config) as (keyof Config)[]) {
    try {
      void config[section];
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      names.push(...err.fields);
    }
  }
  return names;
}

/** What `read` returns, or `fallback` when its section cannot be read. */
function orElse<T>(read: () => T, fallback: T): T {
  try {
    return read();
  } catch {
    return fallback;
  }
}

function isLoopback(url: string): boolean {
  const host = new URL(url).hostname;
  return host === "localhost" || host === "[::1]" || host.startsWith("127.");
}

/**
 * Present for the auth mode: OMISELL_PUSH_SECRET (unless SIGNATURE_MODE is `off`), READ_API_TOKENS,
 * ADMIN_API_TOKENS and the Omisell keys of OMISELL_AUTH_MODE; every set value usable; and
 * OMISELL_API_BASE not the local stand-in when the worker itself is not local (`requestUrl`).
 */
export function checkConfig(env: object, requestUrl: string): Finding {
  const config = readConfig(env);
  const unusable = unusableSettings(config);
  const push = orElse(() => config.push, null);
  const api = orElse(() => config.api, null);
  const omisell = orElse(() => config.omisell, null);
  const missing: string[] = [];
  if (push && push.signatureMode !== "off" && push.secrets.length === 0) missing.push("OMISELL_PUSH_SECRET");
  if (api?.readTokens.length === 0) missing.push("READ_API_TOKENS");
  if (api?.adminTokens.length === 0) missing.push("ADMIN_API_TOKENS");
  if (omisell) {
    const values: Record<string, string | undefined> = {
      OMISELL_ACCOUNT_KEY: omisell.accountKey,
      OMISELL_PARTNER_KEY: omisell.partnerKey,
      OMISELL_COUNTRY: omisell.country,
      OMISELL_API_KEY: omisell.apiKey,
    };
    for (const name of KEYS_OF_MODE[omisell.authMode]) if (!values[name]) missing.push(name);
  }
  const mode = omisell ? `auth mode ${omisell.authMode}` : "auth mode unknown";
  const problems = [
    ...(missing.length > 0 ? [`missing: ${missing.join(", ")} (${mode})`] : []),
    ...(unusable.length > 0 ? [`unusable: ${unusable.join(", ")}`] : []),
  ];
  if (problems.length > 0) return fail(problems.join("; "), SECRET_FIX);
  if (omisell && isLoopback(omisell.apiBase) && !isLoopback(requestUrl)) {
    return fail(
      "OMISELL_API_BASE points at a local address (the stand-in of npm start)",
      'set OMISELL_API_BASE = "https://api.omisell.com" in wrangler.toml [vars], then deploy',
    );
  }
  const session = orElse(() => config.session.secret, undefined)
    ? "SESSION_SECRET set"
    : "SESSION_SECRET not set (sessions signed with a key derived from the tokens)";
  return pass(`every required setting is present (${mode}); ${session}`);
}
