/**
 * The push signature (assumed, see README): lower-case hex of
 * HMAC-SHA256(secret, callback_url + "|" + raw_body) in the Authorization header.
 * Checked against every configured secret (rotation), in constant time (`lib/crypto`). A failed
 * check says why: no secret configured, no header, a header that holds no digest, or a digest
 * that matches no secret, so the log can tell a misconfigured sender from a forged push.
 */
import { hmacSha256Hex, verifyHmacSha256 } from "../lib/crypto";
import { fail, ok, type Result } from "../lib/result";

export type SignatureFailure = "not_configured" | "missing" | "malformed" | "mismatch";
export type SignatureCheck = Result<true, SignatureFailure>;

const encoder = new TextEncoder();

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

export async function checkPushSignature(
  secrets: readonly string[],
  callbackUrl: string,
  rawBody: Uint8Array,
  authorization: string | null | undefined,
): Promise<SignatureCheck> {
  if (secrets.length === 0) return fail("not_configured");
  if (!authorization?.trim()) return fail("missing");
  const signature = readSignatureHeader(authorization);
  if (!signature) return fail("malformed");
  const data = signedBytes(callbackUrl, rawBody);
  for (const secret of secrets) {
    if (await verifyHmacSha256(secret, signature, data)) return ok(true);
  }
  return fail("mismatch");
}

/** `checkPushSignature` when only the verdict matters (tools, property tests). */
export async function verifyPushSignature(
  secrets: readonly string[],
  callbackUrl: string,
  rawBody: Uint8Array,
  authorization: string | null | undefined,
): Promise<boolean> {
  return (await checkPushSignature(secrets, callbackUrl, rawBody, authorization)).ok;
}

export function signPush(secret: string, callbackUrl: string, rawBody: Uint8Array): Promise<string> {
  return hmacSha256Hex(secret, signedBytes(callbackUrl, rawBody));
}
