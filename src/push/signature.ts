/** The push signature in the Authorization header: checked (both schemes seen in the field), and signed for tools. */
import type { SignatureScheme } from "../events/vocabulary";
import { equalsOneOf, hmacSha256Hex, verifyHmacSha256 } from "../lib/crypto";
import { fail, ok, type Result } from "../lib/result";

/** Which schemes count: both (`auto`), or one pinned. */
export type SchemeSetting = "auto" | SignatureScheme;
export const SCHEME_SETTINGS = ["auto", "hmac", "static"] as const satisfies readonly SchemeSetting[];

export type SignatureFailure = "not_configured" | "missing" | "malformed" | "mismatch";
/** The scheme that matched, or why none did. */
export type SignatureCheck = Result<SignatureScheme, SignatureFailure>;

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

async function matchesHmac(
  secrets: readonly string[],
  signature: Uint8Array,
  callbackUrl: string,
  rawBody: Uint8Array,
): Promise<boolean> {
  const data = signedBytes(callbackUrl, rawBody);
  for (const secret of secrets) {
    if (await verifyHmacSha256(secret, signature, data)) return true;
  }
  return false;
}

/**
 * Checks the Authorization header of a push under `scheme` (HMAC alone unless told otherwise),
 * and says which scheme matched. Omisell does not publish its scheme; two are seen in the field
 * (README):
 * - `hmac`: lower-case hex of HMAC-SHA256(secret, callback_url + "|" + raw_body);
 * - `static`: the header is the secret itself.
 * `auto` tries HMAC, then static. Every configured secret is tried (rotation), in constant time:
 * HMAC through WebCrypto's verify, static through `equalsOneOf`. A failed check says why (no
 * secret configured, no header, a header that holds no digest, or one that matches no secret),
 * so the log can tell a misconfigured sender from a forged push.
 */
export async function checkPushSignature(
  secrets: readonly string[],
  callbackUrl: string,
  rawBody: Uint8Array,
  authorization: string | null | undefined,
  scheme: SchemeSetting = "hmac",
): Promise<SignatureCheck> {
  if (secrets.length === 0) return fail("not_configured");
  if (!authorization?.trim()) return fail("missing");
  const signature = scheme === "static" ? null : readSignatureHeader(authorization);
  if (signature && (await matchesHmac(secrets, signature, callbackUrl, rawBody))) return ok("hmac");
  if (scheme !== "hmac" && (await equalsOneOf(authorization, secrets))) return ok("static");
  return fail(scheme === "hmac" && !signature ? "malformed" : "mismatch");
}

/** `checkPushSignature` when only the verdict matters (tools, property tests). */
export async function verifyPushSignature(...check: Parameters<typeof checkPushSignature>): Promise<boolean> {
  return (await checkPushSignature(...check)).ok;
}

export function signPush(secret: string, callbackUrl: string, rawBody: Uint8Array): Promise<string> {
  return hmacSha256Hex(secret, signedBytes(callbackUrl, rawBody));
}
