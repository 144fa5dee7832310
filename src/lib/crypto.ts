/** The WebCrypto set-up the worker needs, in one place: HMAC-SHA256 keys, signing, constant-time checks, SHA-256. */
import { toHex } from "./hex";

const encoder = new TextEncoder();
/** HMAC keys, imported once per isolate and secret (text or raw bytes). */
const keyCache = new Map<string, Promise<CryptoKey>>();
/** Secrets are configured values (push secrets, API tokens): few, but bound the cache anyway. */
const MAX_CACHED_KEYS = 64;

const bytesOf = (data: string | Uint8Array): Uint8Array => (typeof data === "string" ? encoder.encode(data) : data);

/** The cache key tells text secrets from raw key bytes, so equal-looking ones never share a key. */
function cachedKey(cacheKey: string, raw: Uint8Array): Promise<CryptoKey> {
  let key = keyCache.get(cacheKey);
  if (!key) {
    if (keyCache.size >= MAX_CACHED_KEYS) keyCache.clear();
    key = crypto.subtle.importKey("raw", raw, { name: "HMAC", hash: "SHA-256" }, false, ["sign", "verify"]);
    keyCache.set(cacheKey, key);
  }
  return key;
}

function hmacKey(secret: string): Promise<CryptoKey> {
  return cachedKey(`text:${secret}`, encoder.encode(secret));
}

/** HMAC-SHA256(key, data) with a key given as raw bytes (a decoded `whsec_` secret). */
export async function hmacSha256Bytes(key: Uint8Array, data: string | Uint8Array): Promise<Uint8Array> {
  const mac = await crypto.subtle.sign("HMAC", await cachedKey(`raw:${toHex(key)}`, key), bytesOf(data));
  return new Uint8Array(mac);
}

/** Lower-case hex of HMAC-SHA256(secret, data). */
export async function hmacSha256Hex(secret: string, data: string | Uint8Array): Promise<string> {
  const mac = await crypto.subtle.sign("HMAC", await hmacKey(secret), bytesOf(data));
  return toHex(new Uint8Array(mac));
}

/** True when `mac` is HMAC-SHA256(secret, data); WebCrypto `verify` compares in constant time. */
export async function verifyHmacSha256(secret: string, mac: Uint8Array, data: Uint8Array): Promise<boolean> {
  return crypto.subtle.verify("HMAC", await hmacKey(secret), mac, data);
}

export function sha256(data: string | Uint8Array): Promise<ArrayBuffer> {
  return crypto.subtle.digest("SHA-256", bytesOf(data));
}

export async function sha256Hex(data: string | Uint8Array): Promise<string> {
  return toHex(new Uint8Array(await sha256(data)));
}

/**
 * True when `candidate` equals one of `allowed` (API tokens, static push secrets). Digests are
 * compared with `timingSafeEqual`, never the strings, and the whole list every time: neither a
 * secret's content, nor its length, nor which one matched shows in the answer time.
 */
export async function equalsOneOf(candidate: string, allowed: readonly string[]): Promise<boolean> {
  const probe = await sha256(candidate);
  let found = false;
  for (const secret of allowed) {
    if (crypto.subtle.timingSafeEqual(probe, await sha256(secret))) found = true;
  }
  return found;
}
