/** GET /api/v2/public/order/list: one page of the orders updated in a time window (the walk is reconciliation's). */
import { type OmisellAuth, type OmisellConnection, type OmisellResult, requestOmisellAuthorized } from "./client";

/** How many times a throttled page is waited for before the window fails. */
const THROTTLED_TRIES = 4;
/** The longest single wait; a longer pause (a 429 with a long Retry-After) fails the window. */
const MAX_THROTTLE_WAIT_MS = 20_000;

export type Sleep = (ms: number) => Promise<void>;
const sleep: Sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * One page, through the client (rate limiter, timeout, envelope, one re-authentication after a
 * 401); `pathAndQuery` is the list path with its query string. The limiter may ask for a wait
 * longer than the client waits out on its own (pushes took the budget): the call then waits here
 * too, a few times, because a reconciliation window that fails only because Omisell's budget was
 * busy would be listed again anyway, at the same cost.
 */
export async function fetchOrderListPage(
  connection: OmisellConnection,
  auth: OmisellAuth,
  pathAndQuery: string,
  wait: Sleep = sleep,
): Promise<OmisellResult<unknown>> {
  for (let tries = 1; ; tries++) {
    const result = await requestOmisellAuthorized(connection, auth, pathAndQuery);
    if (result.ok || result.reason.kind !== "throttled" || tries >= THROTTLED_TRIES) return result;
    const waitMs = (result.reason.retryAfterSeconds ?? 1) * 1000;
    if (waitMs > MAX_THROTTLE_WAIT_MS) return result;
    await wait(waitMs);
  }
}
