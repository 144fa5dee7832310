/**
 * The doctor's run and its checklist: one line per check (✓ or ✗, name, detail), the fix under
 * each failed one, and a last line with the count. Nothing it prints may carry a token or a
 * secret, so every line goes through `redact` with the values the run was given.
 */
import { type Check, DoctorUnavailable, fetchDoctorChecks, selftestPush } from "./checks.ts";

/** `text` with each of `secrets` replaced, so a value echoed back by a server is never printed. */
export function redact(text: string, secrets: readonly (string | undefined)[]): string {
  let clean = text;
  for (const secret of secrets) {
    if (secret && secret.length >= 4) clean = clean.split(secret).join("[hidden]");
  }
  return clean;
}

/** The checklist lines of `checks`. */
export function checklist(checks: Check[]): string[] {
  const lines: string[] = [];
  for (const check of checks) {
    lines.push(`${check.ok ? "✓" : "✗"} ${check.name}${check.detail ? ` — ${check.detail}` : ""}`);
    if (!check.ok && check.fix) lines.push(`    fix: ${check.fix}`);
  }
  const failed = checks.filter((check) => !check.ok).length;
  lines.push(failed === 0 ? `all ${checks.length} checks pass` : `${failed} of ${checks.length} checks failed`);
  return lines;
}

export type DoctorOptions = {
  /** The worker's base URL (no /webhooks/omisell). */
  base: string;
  adminToken: string;
  pushSecret?: string;
  callbackUrl?: string;
  /** Re-asks the Worker while only these checks fail, until this many ms have passed (setup, after a first deploy). */
  waitFor?: { names: string[]; ms: number; everyMs: number; onWait: () => void };
};

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Runs the doctor and prints its checklist with `print`; true when every check passed. */
export async function runDoctor(options: DoctorOptions, print: (line: string) => void): Promise<boolean> {
  const secrets = [options.adminToken, options.pushSecret];
  const say = (line: string) => print(redact(line, secrets));
  let checks: Check[];
  try {
    checks = await fetchDoctorChecks(options.base, options.adminToken);
    const wait = options.waitFor;
    const onlyWaiting = () =>
      checks.some((c) => !c.ok) && checks.every((c) => c.ok || wait?.names.includes(c.name) === true);
    if (wait && onlyWaiting()) {
      wait.onWait();
      const deadline = Date.now() + wait.ms;
      while (onlyWaiting() && Date.now() < deadline) {
        await sleep(Math.min(wait.everyMs, Math.max(0, deadline - Date.now())));
        checks = await fetchDoctorChecks(options.base, options.adminToken);
      }
    }
  } catch (err) {
    if (!(err instanceof DoctorUnavailable)) throw err;
    say(`✗ ${err.message}`);
    return false;
  }
  if (options.pushSecret) checks.push(...(await selftestPush(options.base, options.pushSecret, options.callbackUrl)));
  for (const line of checklist(checks)) say(line);
  return checks.every((check) => check.ok);
}
