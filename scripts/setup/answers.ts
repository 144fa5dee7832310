/**
 * Where setup's answers come from: a flag (only for values that are not secret), the environment
 * variable named like the Worker setting, or, without `--yes`, a question on the terminal.
 * Under `--yes` a missing required value stops setup before anything changes, naming it.
 */
import { ask } from "./prompt.ts";
import { AUTH_MODES, type AuthMode, omisellSettings, type Setting } from "./secrets.ts";

export type AnswerSources = {
  yes: boolean;
  env: NodeJS.ProcessEnv;
  /** Flag values by flag name (`auth-mode`, `country`, `seller-id`). */
  flags: Record<string, string | undefined>;
};

/** Required values that `--yes` could not find, with where each may come from. */
export class MissingValues extends Error {
  readonly names: string[];
  constructor(settings: Setting[], underYes: boolean) {
    const where = settings.map((s) => (s.flag ? `${s.name} (--${s.flag} or ${s.name})` : s.name));
    super(
      underYes
        ? `missing with --yes: ${where.join(", ")}; set the environment variable${settings.length > 1 ? "s" : ""}`
        : `no value given for ${where.join(", ")}`,
    );
    this.names = settings.map((s) => s.name);
  }
}

export class BadAuthMode extends Error {}

function checkedMode(value: string): AuthMode {
  if ((AUTH_MODES as readonly string[]).includes(value)) return value as AuthMode;
  throw new BadAuthMode(`OMISELL_AUTH_MODE must be one of ${AUTH_MODES.join(", ")}, not "${value}"`);
}

/**
 * The Omisell auth mode of this run: `--auth-mode` or OMISELL_AUTH_MODE when given; else the
 * one in wrangler.toml, which is asked about (interactively) only while its credentials are not
 * all set yet.
 */
export async function chooseAuthMode(
  configured: AuthMode,
  existingSecrets: Set<string>,
  sources: AnswerSources,
  interactive: boolean,
): Promise<AuthMode> {
  const given = sources.flags["auth-mode"] ?? sources.env.OMISELL_AUTH_MODE;
  if (given) return checkedMode(given.trim());
  const complete = omisellSettings(configured)
    .filter((s) => s.required)
    .every((s) => existingSecrets.has(s.name));
  if (!interactive || complete) return configured;
  for (;;) {
    const answer = await ask(`Omisell API auth mode: ${AUTH_MODES.join(", ")} [${configured}]`);
    if (!answer) return configured;
    try {
      return checkedMode(answer);
    } catch (err) {
      console.log((err as Error).message);
    }
  }
}

/** Where a setting's value is when it is not asked: its flag, else its environment variable. */
export function givenValue(setting: Setting, sources: AnswerSources): string | undefined {
  const value = (setting.flag ? sources.flags[setting.flag] : undefined) ?? sources.env[setting.name];
  return value?.trim() ? value.trim() : undefined;
}

/** The settings `--yes` cannot fill: required, and neither a flag nor the environment gives them. */
export function missingUnderYes(settings: Setting[], sources: AnswerSources): Setting[] {
  return settings.filter((s) => s.required && givenValue(s, sources) === undefined);
}

/**
 * The values of `settings` by name: given ones, then (without `--yes`) asked ones; an optional
 * one left empty is left out. Throws `MissingValues` naming every required value not found.
 */
export async function collectValues(settings: Setting[], sources: AnswerSources): Promise<Record<string, string>> {
  if (sources.yes) {
    const missing = missingUnderYes(settings, sources);
    if (missing.length) throw new MissingValues(missing, true);
  }
  const values: Record<string, string> = {};
  const missing: Setting[] = [];
  for (const setting of settings) {
    let value = givenValue(setting, sources);
    // Asked up to three times when required; stdin at its end answers "" each time.
    for (let tries = 0; value === undefined && !sources.yes && tries < (setting.required ? 3 : 1); tries++) {
      value = (await ask(setting.question, { hidden: setting.hidden })) || undefined;
    }
    if (value !== undefined) values[setting.name] = value;
    else if (setting.required) missing.push(setting);
  }
  if (missing.length) throw new MissingValues(missing, sources.yes);
  return values;
}
