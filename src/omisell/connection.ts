/** A connection to the Omisell API as the worker makes it. */
import type { OmisellConfig } from "../config";
import type { Priority } from "./bucket";
import type { OmisellConnection } from "./client";
import { durableLimiter } from "./limiter-handle";

/** Base URL and timeout from the config, and the rate limiter of the credential (or seller) the call is made with. */
export function omisellConnection(
  env: Env,
  config: OmisellConfig,
  sellerId: string | null,
  priority: Priority,
): OmisellConnection {
  return {
    base: config.apiBase,
    timeoutMs: config.timeoutMs,
    limiter: durableLimiter(env, config, sellerId),
    priority,
  };
}
