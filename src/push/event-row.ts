/** The one builder of the row a push is stored as, usable or not, with its dedupe key and event id. */
import { type NewEvent, SELFTEST_EVENT, type SignatureScheme } from "../events/vocabulary";
import { sha256Hex } from "../lib/crypto";
import { newUlid } from "../lib/ids";
import { MAX_REQUEST_ID_LENGTH, type PushEnvelope } from "./envelope";

const lenient = new TextDecoder("utf-8");

export type ReceivedPush = {
  raw: Uint8Array;
  /** The body as text, or null when it is not valid UTF-8. */
  text: string | null;
  receivedAt: number;
  /** True or false when the signature was checked, null when it was not. */
  signatureValid: boolean | null;
  /** The scheme the signature matched; null when not checked or nothing matched. */
  signatureScheme: SignatureScheme | null;
  /** The request headers kept for debugging (`request-headers.ts`), or null. */
  headers: Record<string, string> | null;
  /** The `Request-Id` (or `X-Request-Id`) header, if any. */
  requestIdHeader: string | null;
};

/** The key of a push without a request id, and of every unusable push: the hash of its bytes. */
export async function bodyDedupeKey(raw: Uint8Array): Promise<string> {
  return `sha256:${await sha256Hex(raw)}`;
}

/** Why a self-test push is settled `skipped` as it arrives (its `last_error`). */
export const SELFTEST_SKIP_REASON = "self-test push of the doctor: stored and deduplicated, never followed up";

/**
 * The row of a push: `received`, described by its envelope; or, without an envelope (a body we
 * cannot use), `invalid`, keyed by the hash of its bytes, kept verbatim for inspection, with
 * why it could not be used in `last_error`. The doctor's self-test push (event
 * `omisell_push.selftest`, one string comparison) is stored with source `selftest`, already
 * `skipped`: the push path then sends no follow-up, and nothing else ever picks it up.
 */
export async function buildEventRow(
  push: ReceivedPush,
  envelope: PushEnvelope | null,
  invalidReason?: string,
): Promise<NewEvent> {
  const common = {
    id: newUlid(push.receivedAt),
    dedupe_key: envelope?.requestId ?? (await bodyDedupeKey(push.raw)),
    signature_valid: push.signatureValid,
    signature_scheme: push.signatureScheme,
    source: "push" as const,
    received_at: push.receivedAt,
    headers: push.headers,
  };
  if (envelope) {
    const selftest = envelope.event === SELFTEST_EVENT;
    return {
      ...common,
      ...(selftest
        ? {
            source: "selftest" as const,
            status: "skipped" as const,
            last_error: SELFTEST_SKIP_REASON,
            processed_at: push.receivedAt,
          }
        : { status: "received" as const }),
      request_id: envelope.requestId,
      event: envelope.event,
      category: envelope.category,
      seller_id: envelope.sellerId,
      resource_type: envelope.resourceType,
      resource_id: envelope.resourceId,
      order_number: envelope.orderNumber,
      // An envelope is only ever read from a body that decoded as UTF-8.
      payload: push.text ?? lenient.decode(push.raw),
    };
  }
  return {
    ...common,
    request_id: push.requestIdHeader?.slice(0, MAX_REQUEST_ID_LENGTH) ?? null,
    event: null,
    category: "invalid",
    seller_id: null,
    resource_type: null,
    resource_id: null,
    order_number: null,
    status: "invalid",
    last_error: invalidReason ?? "not a usable push",
    // Invalid UTF-8 is stored with replacement characters; the hash in dedupe_key is of the bytes.
    payload: push.text ?? lenient.decode(push.raw),
  };
}
