/** Signing per Standard Webhooks (deliveries and signed alerts), with the worker's one WebCrypto set-up. Pure. */
import { hmacSha256Bytes } from "./crypto";
import { toBase64 } from "./webhook-secret";

/**
 * `v1,<base64 HMAC-SHA256(key, webhook-id + "." + webhook-timestamp + "." + body)>` of one attempt
 * (`key`: the bytes of a `whsec_` secret), so the receiver can check it with any Standard Webhooks
 * library.
 */
export async function signDelivery(key: Uint8Array, id: string, timestampSeconds: number, body: string) {
  const mac = await hmacSha256Bytes(key, `${id}.${timestampSeconds}.${body}`);
  return `v1,${toBase64(mac)}`;
}

/**
 * The three headers of one attempt. `webhook-id` is the delivery id, the same on every retry.
 * With several keys (a secret rotation: the new one first, then the previous one) the signature
 * header holds one signature per key, space-separated: a receiver holding either secret verifies.
 */
export async function webhookHeaders(
  keys: Uint8Array | readonly Uint8Array[],
  id: string,
  timestampSeconds: number,
  body: string,
) {
  const all = keys instanceof Uint8Array ? [keys] : keys;
  const signatures = await Promise.all(all.map((key) => signDelivery(key, id, timestampSeconds, body)));
  return {
    "webhook-id": id,
    "webhook-timestamp": String(timestampSeconds),
    "webhook-signature": signatures.join(" "),
  };
}
