/** What to do with one push, decided without I/O from its bytes, headers and the configuration. */

import type { PushConfig } from "../config";
import type { NewEvent } from "../events/vocabulary";
import { parseJsonOr } from "../lib/json";
import { fail, ok, type Result } from "../lib/result";
import { isBlank } from "./body";
import { isVerificationPing, parsePushEnvelope } from "./envelope";
import { buildEventRow, type ReceivedPush } from "./event-row";
import { keptHeaders } from "./request-headers";
import { checkPushSignature, type SignatureFailure } from "./signature";

export type PushRequest = { bytes: Uint8Array; url: string; headers: Headers };

/** Why a signature did not count as valid; null when it was valid or not checked. */
export type SignatureProblem = SignatureFailure | null;

export type PushDecision =
  | { kind: "ping"; trigger: "empty_body" | "verify_info"; signed: boolean | null; signature: null }
  | { kind: "rejected"; reason: "not_configured"; signature: null }
  | { kind: "rejected"; reason: "invalid_signature"; signature: SignatureFailure }
  | { kind: "invalid"; reason: string; row: NewEvent; signature: SignatureProblem }
  | { kind: "accepted"; row: NewEvent; signature: SignatureProblem };

const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false });

function decodeUtf8(bytes: Uint8Array): string | null {
  try {
    return utf8.decode(bytes);
  } catch {
    return null;
  }
}

const NOT_JSON = Symbol("not json");

function parseJson(text: string | null): Result<unknown, "not_utf8" | "not_json"> {
  if (text === null) return fail("not_utf8");
  // SyntaxError, or RangeError on absurd nesting: both mean "not a JSON object we can use".
  const value = parseJsonOr(text, NOT_JSON);
  return value === NOT_JSON ? fail("not_json") : ok(value);
}

/**
 * Answer a console URL check, refuse the push (no secret in `enforce` mode, a bad signature), keep
 * it as `invalid` (signed but unusable), or accept it. The order is the push contract's: URL checks
 * first (saving the callback URL must work before the secret is set), then the signature, then the
 * envelope. The route around it does the reading, storing and answering.
 */
export async function decidePush(request: PushRequest, config: PushConfig, now: number): Promise<PushDecision> {
  const { bytes, headers } = request;
  if (isBlank(bytes)) return { kind: "ping", trigger: "empty_body", signed: null, signature: null };

  const callbackUrl = config.publicCallbackUrl ?? request.url;
  const check =
    config.signatureMode === "off"
      ? null
      : await checkPushSignature(
          config.secrets,
          callbackUrl,
          bytes,
          headers.get("authorization"),
          config.signatureScheme,
        );
  // No secret means "not checked", as in `off` mode; `enforce` refuses it below.
  const checked = check !== null && (check.ok || check.reason !== "not_configured");
  const signatureValid = checked ? check.ok : null;
  const signatureScheme = check?.ok ? check.value : null;
  const signature: SignatureProblem = check && !check.ok && checked ? check.reason : null;

  // Parsed even when the signature failed: a console URL check is answered 200 signed or not.
  const text = decodeUtf8(bytes);
  const json = parseJson(text);
  if (json.ok && isVerificationPing(json.value))
    return { kind: "ping", trigger: "verify_info", signed: signatureValid, signature: null };

  if (config.signatureMode === "enforce") {
    if (!checked) return { kind: "rejected", reason: "not_configured", signature: null };
    if (signature) return { kind: "rejected", reason: "invalid_signature", signature };
  }

  const requestIdHeader = headers.get("request-id") ?? headers.get("x-request-id");
  const parsed = json.ok
    ? parsePushEnvelope(json.value, requestIdHeader, headers.get("seller-id"))
    : fail(json.reason === "not_utf8" ? "body is not valid UTF-8" : "body is not valid JSON");
  const received: ReceivedPush = {
    raw: bytes,
    text,
    receivedAt: now,
    signatureValid,
    signatureScheme,
    requestIdHeader,
    headers: keptHeaders(headers),
  };
  if (!parsed.ok) {
    return {
      kind: "invalid",
      reason: parsed.reason,
      row: await buildEventRow(received, null, parsed.reason),
      signature,
    };
  }
  return { kind: "accepted", row: await buildEventRow(received, parsed.value), signature };
}
