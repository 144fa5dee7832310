/**
 * POST /webhooks/omisell — the contract table of DESIGN.md, top to bottom:
 * size limit, URL-verification pings, signature, envelope, then exactly-once storage.
 * Every 200 has an empty body; what happened is in `Push-Status` and `Push-Event-Id`.
 */
import { Hono } from "hono";
import { readPushConfig } from "../config";
import { errorBody, HttpError } from "../errors";
import { log } from "../lib/log";
import { BodyTooLarge, isBlank, readBodyLimited } from "./body";
import { isVerificationPing, parsePushEnvelope } from "./envelope";
import { ingestPush } from "./ingest";
import { storeInvalidPush } from "./invalid";
import { sha256Hex, verifyPushSignature } from "./signature";

export const MAX_PUSH_BYTES = 256 * 1024;
const PUSH_PATH = "/webhooks/omisell";
/** The path, and the same with a trailing slash, as a callback URL may be saved either way. */
const PUSH_PATHS = [PUSH_PATH, `${PUSH_PATH}/`];

const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false });

function pushAnswer(status: "accepted" | "duplicate" | "ignored", eventId?: string): Response {
  const headers = new Headers({ "Push-Status": status });
  if (eventId) headers.set("Push-Event-Id", eventId);
  return new Response(null, { status: 200, headers });
}

function tryParseJson(text: string | null): { ok: true; value: unknown } | { ok: false } {
  if (text === null) return { ok: false };
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch {
    // SyntaxError, or RangeError on absurd nesting: both mean "not a JSON object we can use".
    return { ok: false };
  }
}

function decodeUtf8(bytes: Uint8Array): string | null {
  try {
    return utf8.decode(bytes);
  } catch {
    return null;
  }
}

export const pushRoutes = new Hono<{ Bindings: Env }>();

pushRoutes.on("POST", PUSH_PATHS, async (c) => {
  const config = readPushConfig(c.env);
  const receivedAt = Date.now();
  let raw: Uint8Array;
  try {
    raw = await readBodyLimited(c.req.raw, MAX_PUSH_BYTES);
  } catch (err) {
    if (err instanceof BodyTooLarge) return c.json(errorBody("payload_too_large"), 413);
    throw new HttpError(400, "invalid_payload", "the body could not be read");
  }

  if (isBlank(raw)) {
    log("info", "verification_ping", { kind: "empty_body" });
    return pushAnswer("ignored");
  }

  const callbackUrl = config.PUBLIC_CALLBACK_URL ?? c.req.url;
  const secrets = config.OMISELL_PUSH_SECRET;
  const signatureValid =
    config.SIGNATURE_MODE === "off" || secrets.length === 0
      ? null
      : await verifyPushSignature(secrets, callbackUrl, raw, c.req.header("authorization"));

  // Parsed even when the signature failed: a console URL check is answered 200 signed or not.
  const text = decodeUtf8(raw);
  const json = tryParseJson(text);
  if (json.ok && isVerificationPing(json.value)) {
    log("info", "verification_ping", { kind: "verify_info", signed: signatureValid });
    return pushAnswer("ignored");
  }
  // After the URL checks: saving the callback URL must work even before the secret is set.
  if (config.SIGNATURE_MODE === "enforce" && config.OMISELL_PUSH_SECRET.length === 0) {
    log("error", "push_secret_missing", { hint: "set OMISELL_PUSH_SECRET or SIGNATURE_MODE" });
    return c.json(errorBody("not_configured", "OMISELL_PUSH_SECRET is not set"), 503);
  }
  if (signatureValid === false && config.SIGNATURE_MODE === "enforce") {
    log("warn", "push_signature_invalid", { bytes: raw.byteLength });
    return c.json(errorBody("invalid_signature"), 401);
  }

  const headerRequestId = c.req.header("request-id") ?? c.req.header("x-request-id") ?? null;
  const parsed = json.ok
    ? parsePushEnvelope(json.value, headerRequestId)
    : { ok: false as const, reason: text === null ? "body is not valid UTF-8" : "body is not valid JSON" };
  const signature_valid = signatureValid === null ? null : signatureValid ? 1 : 0;

  if (!parsed.ok) {
    const stored = await storeInvalidPush(c.env, {
      raw,
      text,
      receivedAt,
      signature_valid,
      requestIdHeader: headerRequestId,
    });
    log("warn", "push_invalid", { reason: parsed.reason, event_id: stored.id });
    return c.json(errorBody("invalid_payload", parsed.reason), 400, { "Push-Event-Id": stored.id });
  }

  const { envelope } = parsed;
  const outcome = await ingestPush(c.env, c.executionCtx, {
    dedupeKey: envelope.requestId ?? `sha256:${await sha256Hex(raw)}`,
    receivedAt,
    leaseMs: config.CLAIM_LEASE_SECONDS * 1000,
    retainMs: config.RETENTION_DAYS * 86_400_000,
    row: {
      request_id: envelope.requestId,
      event: envelope.event,
      category: envelope.category,
      seller_id: envelope.sellerId,
      resource_type: envelope.resourceType,
      resource_id: envelope.resourceId,
      order_number: envelope.orderNumber,
      status: "received",
      signature_valid,
      payload: text as string,
    },
  });
  return pushAnswer(outcome.status, outcome.eventId);
});

for (const path of PUSH_PATHS) {
  pushRoutes.all(path, (c) => c.json(errorBody("method_not_allowed", "use POST"), 405, { Allow: "POST" }));
}
