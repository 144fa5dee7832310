/** The caller's side of the rate limiter: which OmisellRateLimiter a call belongs to, and a handle to it. */
import type { OmisellConfig } from "../config";
import { describeError } from "../errors";
import { sha256Hex } from "../lib/crypto";
import { log } from "../lib/log";
import type { CallReport, Priority, RateLimit, SlotAnswer } from "./bucket";

/**
 * What the client asks for a slot and reports answers to. The client (client.ts) takes it in its
 * connection, so no call to Omisell can skip the limiter.
 */
export type OmisellLimiter = {
  acquire(priority: Priority): Promise<SlotAnswer>;
  report(call: CallReport): Promise<void>;
};

/**
 * The bucket a call counts against: one per credential, or per seller in partner mode, as Omisell
 * counts them. Keys are hashed: an object's name must not carry a secret.
 */
export async function limiterName(config: OmisellConfig, sellerId: string | null): Promise<string> {
  const credential =
    config.authMode === "account"
      ? `account:${config.accountKey ?? ""}`
      : config.authMode === "partner"
        ? `partner:${config.partnerKey ?? ""}:${sellerId ?? config.sellerId ?? ""}`
        : `token:${config.apiKey ?? ""}`;
  return `omisell-limit:${(await sha256Hex(credential)).slice(0, 32)}`;
}

/**
 * The OmisellRateLimiter object for this credential. If the object cannot be reached, the call
 * goes ahead (logged): Omisell's own 429 still protects the budget, and a limiter outage must not
 * stop every follow-up.
 */
export function durableLimiter(env: Env, config: OmisellConfig, sellerId: string | null): OmisellLimiter {
  const limit: RateLimit = config.rateLimit;
  const stub = limiterName(config, sellerId).then((name) =>
    env.OMISELL_LIMITER.get(env.OMISELL_LIMITER.idFromName(name)),
  );
  return {
    async acquire(priority) {
      try {
        return await (await stub).acquire(priority, limit);
      } catch (err) {
        log("error", "omisell_limiter_unreachable", { error: describeError(err) });
        return { go: true };
      }
    },
    async report(call) {
      try {
        await (await stub).report(call, limit);
      } catch (err) {
        log("error", "omisell_limiter_unreachable", { error: describeError(err) });
      }
    },
  };
}
