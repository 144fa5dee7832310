/** One check of the doctor: its name, whether it passed, what it found, and the fix when it did not. */
import { describeError } from "../errors";

/** The checks, in the order the doctor lists them. */
export const CHECK_NAMES = [
  "config",
  "d1",
  "queues",
  "durable_objects",
  "omisell",
  "cron",
  "destinations",
  "pushes",
] as const;
export type CheckName = (typeof CHECK_NAMES)[number];

/** What a check finds: `fix` is one sentence saying what to do, required when `ok` is false. */
export type Finding = { ok: true; detail: string } | { ok: false; detail: string; fix: string };

export type DoctorCheck = { name: CheckName; ok: boolean; detail: string; fix: string | null };

export const pass = (detail: string): Finding => ({ ok: true, detail });
export const fail = (detail: string, fix: string): Finding => ({ ok: false, detail, fix });

/** `promise`, or a rejection once `ms` have passed without an answer. */
export function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms / 1000} s`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => {
    if (timer !== undefined) clearTimeout(timer);
  });
}

/**
 * Runs one check within `timeoutMs`: a check that throws or does not answer in time fails with
 * what happened and `fixOnError`, and never stops the others.
 */
export async function runCheck(
  name: CheckName,
  timeoutMs: number,
  check: () => Promise<Finding>,
  fixOnError: string,
): Promise<DoctorCheck> {
  let finding: Finding;
  try {
    finding = await withTimeout(check(), timeoutMs, name);
  } catch (err) {
    finding = fail(describeError(err), fixOnError);
  }
  return { name, ok: finding.ok, detail: finding.detail, fix: finding.ok ? null : finding.fix };
}

/** "42 s", "12 min", "3 h", "2 days": how long ago, in a few characters. */
export function ago(ms: number): string {
  const seconds = Math.max(0, Math.round(ms / 1000));
  if (seconds < 120) return `${seconds} s`;
  const minutes = Math.round(seconds / 60);
  if (minutes < 120) return `${minutes} min`;
  const hours = Math.round(minutes / 60);
  if (hours < 48) return `${hours} h`;
  return `${Math.round(hours / 24)} days`;
}
