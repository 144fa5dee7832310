/**
 * A signed push we cannot use (not a JSON object, no event name, absurd identifiers) is still
 * kept, once, keyed by the hash of its body, with status `invalid`: nothing Omisell sends is lost,
 * and an operator can read it in the API to see what Omisell really sends.
 */
import { describeError, storageUnavailable } from "../errors";
import { newEventId } from "../lib/ids";
import { log } from "../lib/log";
import { insertEvent } from "../store/events";
import { MAX_REQUEST_ID_LENGTH } from "./envelope";
import { sha256Hex } from "./signature";

const lenient = new TextDecoder("utf-8");

export async function storeInvalidPush(
  env: Env,
  input: {
    raw: Uint8Array;
    text: string | null;
    receivedAt: number;
    signature_valid: number | null;
    requestIdHeader: string | null;
  },
) {
  const dedupeKey = `sha256:${await sha256Hex(input.raw)}`;
  try {
    return await insertEvent(env.DB, {
      id: newEventId(input.receivedAt),
      dedupe_key: dedupeKey,
      request_id: input.requestIdHeader?.slice(0, MAX_REQUEST_ID_LENGTH) ?? null,
      event: null,
      category: "invalid",
      seller_id: null,
      resource_type: null,
      resource_id: null,
      order_number: null,
      status: "invalid",
      signature_valid: input.signature_valid,
      received_at: input.receivedAt,
      // Invalid UTF-8 is stored with replacement characters; the hash in dedupe_key is of the bytes.
      payload: input.text ?? lenient.decode(input.raw),
    });
  } catch (err) {
    log("error", "invalid_push_insert_failed", { dedupe_key: dedupeKey, error: describeError(err) });
    throw storageUnavailable();
  }
}
