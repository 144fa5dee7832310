/**
 * The push signature (assumed, see README): lower-case hex of
 * HMAC-SHA256(secret, callback_url + "|" + raw_body) in the Authorization header.
 * Checked with WebCrypto `verify`, which compares in constant time, against every configured
 * secret (rotation). Keys are imported once per isolate.
 */
import { toHex } from "../lib/hex";

const encoder = new TextEncoder();
const keyCache = new Map<string, Promise<CryptoKey>>();

function importPushKey(secret: string): Promise<CryptoKey> {
  let key = keyCache.get(secret);
  if (!key) {
    key = crypto.subtle.importKey("raw", encoder.encode(secret), { name: "HMAC", hash: "SHA-256" }, false, [
      "sign",
      "verify",
    ]);
    keyCache.set(secret, key);
  }
  return key;
}

/** The bytes that are signed: the callback URL, a bar, then the body exactly as received. */
export function signedBytes(callbackUrl: string, rawBody: Uint8Array): Uint8Array {
  const prefix = encoder.encode(`${callbackUrl}|`);
  const out = new Uint8Array(prefix.length + rawBody.length);
  out.set(prefix, 0);
  out.set(rawBody, prefix.length);
  return out;
}

/** 64 hex digits to 32 bytes; null for anything else (wrong length, non-hex). */
export function decodeHexDigest(value: string): Uint8Array | null {
  if (!/^[0-9a-fA-F]{64}$/.test(value)) return null;
  const out = new Uint8Array(32);
  for (let i = 0; i < 32; i++) out[i] = Number.parseInt(value.slice(i * 2, i * 2 + 2), 16);
  return out;
}

/** Accepts the bare digest, optionally behind a `sha256=` or `HMAC-SHA256 ` style prefix. */
export function readSignatureHeader(header: string | null | undefined): Uint8Array | null {
  if (!header) return null;
  const trimmed = header.trim();
  const digest = trimmed.length > 64 ? trimmed.slice(trimmed.search(/[0-9a-fA-F]{64}$/)) : trimmed;
  return decodeHexDigest(digest);
}

export async function verifyPushSignature(
  secrets: readonly string[],
  callbackUrl: string,
  rawBody: Uint8Array,
  authorization: string | null | undefined,
): Promise<boolean> {
  const signature = readSignatureHeader(authorization);
  if (!signature || secrets.length === 0) return false;
  const data = signedBytes(callbackUrl, rawBody);
  for (const secret of secrets) {
    if (await crypto.subtle.verify("HMAC", await importPushKey(secret), signature, data)) return true;
  }
  return false;
}

export async function signPush(secret: string, callbackUrl: string, rawBody: Uint8Array): Promise<string> {
  const mac = await crypto.subtle.sign("HMAC", await importPushKey(secret), signedBytes(callbackUrl, rawBody));
  return toHex(new Uint8Array(mac));
}

export async function sha256Hex(bytes: Uint8Array): Promise<string> {
  return toHex(new Uint8Array(await crypto.subtle.digest("SHA-256", bytes)));
}
