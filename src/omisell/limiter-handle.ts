/** The caller's side of the rate limiter: which OmisellRateLimiter a call belongs to, and a handle to it. */
import type { OmisellConfig } from "../config";
import { describeError } from "../errors";
import { sha256Hex } from "../lib/crypto";
import { log } from "../lib/log";
import type { BucketView, CallReport, Priority, RateLimit, SlotAnswer } from "./bucket";

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
  const limit = budgetOf(config);
  const stub = limiterStub(env, config, sellerId);
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

/** The bucket's limit as every caller passes it: the configured rate, and our share of it. */
export function budgetOf(config: OmisellConfig): RateLimit {
  return { ...config.rateLimit, share: config.budgetShare };
}

function limiterStub(env: Env, config: OmisellConfig, sellerId: string | null) {
  return limiterName(config, sellerId).then((name) => env.OMISELL_LIMITER.get(env.OMISELL_LIMITER.idFromName(name)));
}

/**
 * The bucket of this credential (or seller) as it stands, or null when the limiter cannot be
 * reached (logged): the adaptive follow-up then plans as if the budget were free.
 */
export async function peekLimiter(
  env: Env,
  config: OmisellConfig,
  sellerId: string | null,
): Promise<BucketView | null> {
  try {
    return await (await limiterStub(env, config, sellerId)).peek(budgetOf(config));
  } catch (err) {
    log("error", "omisell_limiter_unreachable", { error: describeError(err) });
    return null;
  }
}
