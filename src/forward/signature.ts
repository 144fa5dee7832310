/** Signing of forwarded deliveries per Standard Webhooks, with the worker's one WebCrypto set-up. Pure. */
import { hmacSha256Bytes } from "../lib/crypto";
import { toBase64 } from "../lib/webhook-secret";

/**
 * `v1,<base64 HMAC-SHA256(key, webhook-id + "." + webhook-timestamp + "." + body)>` of one attempt
 * (`key`: the bytes of the `whsec_` secret), so the receiver can check it with any Standard
 * Webhooks library.
 */
export async function signDelivery(key: Uint8Array, id: string, timestampSeconds: number, body: string) {
  const mac = await hmacSha256Bytes(key, `${id}.${timestampSeconds}.${body}`);
  return `v1,${toBase64(mac)}`;
}

/** The three headers of one attempt. `webhook-id` is the delivery id, the same on every retry. */
export async function webhookHeaders(key: Uint8Array, id: string, timestampSeconds: number, body: string) {
  return {
    "webhook-id": id,
    "webhook-timestamp": String(timestampSeconds),
    "webhook-signature": await signDelivery(key, id, timestampSeconds, body),
  };
}
