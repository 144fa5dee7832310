/**
 * Signing of forwarded deliveries per Standard Webhooks, with WebCrypto. Pure: no I/O.
 *
 * The secret is `whsec_` + base64 of the key bytes; the signature is
 * `v1,<base64 HMAC-SHA256(key, webhook-id + "." + webhook-timestamp + "." + body)>`, so the
 * receiver can check it with any Standard Webhooks library.
 */
const SECRET_PREFIX = "whsec_";
/** Standard Webhooks asks for a key of at least 24 bytes. */
export const MIN_SECRET_BYTES = 24;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** The key bytes of a `whsec_…` secret, or null when it is not one (wrong prefix, not base64, too short). */
export function decodeWebhookSecret(secret: string): Uint8Array | null {
  if (!secret.startsWith(SECRET_PREFIX)) return null;
  const encoded = secret.slice(SECRET_PREFIX.length);
  if (!BASE64.test(encoded)) return null;
  const bytes = Uint8Array.from(atob(encoded), (char) => char.charCodeAt(0));
  return bytes.length >= MIN_SECRET_BYTES ? bytes : null;
}

export function toBase64(bytes: Uint8Array): string {
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary);
}

/** `v1,<base64 signature>` of one attempt: the id, the attempt's unix seconds and the exact body sent. */
export async function signDelivery(key: Uint8Array, id: string, timestampSeconds: number, body: string) {
  const hmacKey = await crypto.subtle.importKey("raw", key, { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  const signed = new TextEncoder().encode(`${id}.${timestampSeconds}.${body}`);
  const mac = await crypto.subtle.sign("HMAC", hmacKey, signed);
  return `v1,${toBase64(new Uint8Array(mac))}`;
}

/** The three headers of one attempt. `webhook-id` is the delivery id, the same on every retry. */
export async function webhookHeaders(key: Uint8Array, id: string, timestampSeconds: number, body: string) {
  return {
    "webhook-id": id,
    "webhook-timestamp": String(timestampSeconds),
    "webhook-signature": await signDelivery(key, id, timestampSeconds, body),
  };
}
