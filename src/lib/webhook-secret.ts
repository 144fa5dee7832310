/**
 * The key inside a Standard Webhooks secret, and base64 of bytes: below config, which refuses a
 * bad secret at parse time.
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

/** The bytes of a new secret: 32, above the 24 Standard Webhooks asks for. */
const NEW_SECRET_BYTES = 32;

/**
 * A new `whsec_` secret from WebCrypto's random bytes (a destination's, shown once).
 * @example newWebhookSecret() // "whsec_q3Vd…" (32 random bytes, base64)
 */
export function newWebhookSecret(): string {
  return `${SECRET_PREFIX}${toBase64(crypto.getRandomValues(new Uint8Array(NEW_SECRET_BYTES)))}`;
}
