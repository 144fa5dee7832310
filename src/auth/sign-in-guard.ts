/**
 * SignInGuard: the failed dashboard sign-ins of one client address, at most 10 in 15 minutes; a
 * Durable Object per address, so every isolate and location counts the same failures.
 */
import { DurableObject } from "cloudflare:workers";
import { describeError } from "../errors";
import { sha256Hex } from "../lib/crypto";
import { log } from "../lib/log";

export const MAX_FAILED_SIGN_INS = 10;
export const SIGN_IN_WINDOW_MS = 15 * 60_000;
const STORAGE_KEY = "failures";

/** Whether a sign-in may be tried; when not, how long until one may. */
export type SignInVerdict = { allowed: true } | { allowed: false; retryAfterSeconds: number };

/**
 * Keeps the times of the address's failed sign-ins of the last 15 minutes (a sliding window, at
 * most 10 of them). Once 10 are held, every attempt is refused, a right token included, until the
 * oldest is 15 minutes old. An alarm clears the storage once the last failure has aged out.
 */
export class SignInGuard extends DurableObject<Env> {
  private failures: number[] | undefined;

  /**
   * One sign-in attempt: refused while the window is full; else allowed, and counted when
   * `succeeded` is false (a refused attempt is not counted: waiting is the only way out).
   */
  async attempt(succeeded: boolean): Promise<SignInVerdict> {
    const now = Date.now();
    const recent = (await this.load()).filter((at) => at > now - SIGN_IN_WINDOW_MS);
    if (recent.length >= MAX_FAILED_SIGN_INS) {
      const oldest = recent[0] ?? now;
      this.failures = recent;
      return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil((oldest + SIGN_IN_WINDOW_MS - now) / 1000)) };
    }
    if (!succeeded) {
      this.failures = [...recent, now];
      await this.ctx.storage.put(STORAGE_KEY, this.failures);
      await this.ctx.storage.setAlarm(now + SIGN_IN_WINDOW_MS);
    }
    return { allowed: true };
  }

  /** How many failures the window holds now; reads only (the doctor's check that the class answers). */
  async countFailures(): Promise<number> {
    const now = Date.now();
    return (await this.load()).filter((at) => at > now - SIGN_IN_WINDOW_MS).length;
  }

  override async alarm(): Promise<void> {
    this.failures = [];
    await this.ctx.storage.deleteAll();
  }

  private async load(): Promise<number[]> {
    this.failures ??= (await this.ctx.storage.get<number[]>(STORAGE_KEY)) ?? [];
    return this.failures;
  }
}

/**
 * The address a sign-in comes from (`CF-Connecting-IP`; without it, as with some local set-ups,
 * `loopback`). IPv6 counts by its /64, the block one subscriber usually holds, so rotating
 * addresses inside it does not reset the count.
 */
export function clientAddressKey(header: string | null | undefined): string {
  const address = header?.trim().toLowerCase();
  if (!address) return "loopback";
  if (!address.includes(":")) return address;
  const [head = "", tail = ""] = address.split("::");
  const headParts = head ? head.split(":") : [];
  const tailParts = tail ? tail.split(":") : [];
  const missing = address.includes("::") ? Math.max(0, 8 - headParts.length - tailParts.length) : 0;
  const groups = [...headParts, ...Array<string>(missing).fill("0"), ...tailParts];
  return `${groups
    .slice(0, 4)
    .map((group) => group.replace(/^0+(?=.)/, ""))
    .join(":")}::/64`;
}

/**
 * The guard's verdict on one sign-in attempt from `address`. Should the object be unreachable, the
 * attempt is allowed (logged): the tokens are long random values, the limit is defence in depth,
 * and an outage of it must not lock every operator out.
 */
export async function guardSignIn(env: Env, address: string, succeeded: boolean): Promise<SignInVerdict> {
  try {
    const name = `sign-in:${(await sha256Hex(address)).slice(0, 32)}`;
    return await env.SIGN_IN_GUARD.get(env.SIGN_IN_GUARD.idFromName(name)).attempt(succeeded);
  } catch (err) {
    log("error", "sign_in_guard_unreachable", { error: describeError(err) });
    return { allowed: true };
  }
}
