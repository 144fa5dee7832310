/**
 * The Worker secrets setup manages: the tokens it generates, the Omisell settings it asks for
 * (which depend on OMISELL_AUTH_MODE), and the one way their values reach wrangler, a JSON file
 * only the user can read that is removed as soon as `wrangler secret bulk` has read it.
 */
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export const AUTH_MODES = ["account", "partner", "token"] as const;
export type AuthMode = (typeof AUTH_MODES)[number];

/** Generated when missing: bearer tokens of the read API and the admin API, and the dashboard session key. */
export const GENERATED_SECRETS = ["READ_API_TOKENS", "ADMIN_API_TOKENS", "SESSION_SECRET"] as const;

/** The generated secrets a user needs to know (the session key only the Worker uses). */
export const SHOWN_TOKENS = ["READ_API_TOKENS", "ADMIN_API_TOKENS"] as const;

/** A value setup asks for, read from the environment variable of the same name under `--yes`. */
export type Setting = {
  name: string;
  question: string;
  /** Typed without echo, never printed. */
  hidden: boolean;
  required: boolean;
  /** A command-line flag that may give it (never for a secret value: argv is visible to others). */
  flag?: string;
};

const PUSH_SECRET: Setting = {
  name: "OMISELL_PUSH_SECRET",
  question: "Omisell push secret (Omisell console, push settings)",
  hidden: true,
  required: true,
};

/** The Omisell credentials each auth mode needs (README "Authenticating to the Omisell API"). */
const CREDENTIALS: Record<AuthMode, Setting[]> = {
  account: [{ name: "OMISELL_ACCOUNT_KEY", question: "Omisell account key", hidden: true, required: true }],
  partner: [
    { name: "OMISELL_PARTNER_KEY", question: "Omisell partner key", hidden: true, required: true },
    {
      name: "OMISELL_COUNTRY",
      question: "Country code Omisell expects (e.g. VN)",
      hidden: false,
      required: true,
      flag: "country",
    },
    {
      name: "OMISELL_SELLER_ID",
      question: "Seller ID when a push carries none (Enter to skip)",
      hidden: false,
      required: false,
      flag: "seller-id",
    },
  ],
  token: [
    { name: "OMISELL_API_KEY", question: "Omisell API key", hidden: true, required: true },
    {
      name: "OMISELL_API_SECRET",
      question: "Omisell API secret (Enter to skip if your account has none)",
      hidden: true,
      required: false,
    },
  ],
};

/** The Omisell settings of a mode: the push secret, then the mode's credentials. */
export function omisellSettings(mode: AuthMode): Setting[] {
  return [PUSH_SECRET, ...CREDENTIALS[mode]];
}

/** Every setting any mode may ask for (for `--help` and for keeping values out of child processes). */
export function allSettings(): Setting[] {
  return [PUSH_SECRET, ...AUTH_MODES.flatMap((mode) => CREDENTIALS[mode])];
}

/** A new bearer token or key: 32 random bytes, base64url (43 characters). */
export function newToken(): string {
  return randomBytes(32).toString("base64url");
}

/**
 * Hands `use` the path of a JSON file `{"NAME": "value", …}` readable by the user alone (mode
 * 0600, in a fresh 0700 directory), and removes it afterwards whatever happens. Ctrl-C while
 * it exists removes it too before the process ends.
 */
export async function withSecretsFile<T>(
  values: Record<string, string>,
  use: (path: string) => Promise<T>,
): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), "omisell-setup-"));
  const remove = () => rmSync(dir, { recursive: true, force: true });
  const onSignal = () => {
    remove();
    process.exit(130);
  };
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  try {
    const path = join(dir, "secrets.json");
    writeFileSync(path, JSON.stringify(values), { mode: 0o600, flag: "wx" });
    return await use(path);
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
    remove();
  }
}
