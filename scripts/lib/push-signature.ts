/**
 * Signs a push body the way Omisell's HMAC scheme does (README "What is assumed about Omisell"):
 * lower-case hex HMAC-SHA256 keyed by the push secret over `callback_url + "|" + raw_body`,
 * sent as the Authorization header.
 */
import { createHmac } from "node:crypto";

/**
 * The Authorization value Omisell would send for `rawBody` posted to `callbackUrl`.
 * @example signPush("s3cret", "https://x.workers.dev/webhooks/omisell", '{"event":"order.created"}')
 */
export function signPush(secret: string, callbackUrl: string, rawBody: string | Uint8Array): string {
  return createHmac("sha256", secret).update(`${callbackUrl}|`).update(rawBody).digest("hex");
}
