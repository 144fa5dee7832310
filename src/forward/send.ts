/** One attempt of a delivery: a signed POST to its destination. */
import { webhookHeaders } from "../lib/standard-webhooks";

/** Where a body goes and the keys it is signed with (two during a secret rotation). */
export type PostTarget = { url: string; keys: readonly Uint8Array[] };

export type SendOutcome = { ok: true; statusCode: number } | { ok: false; statusCode: number | null; error: string };

/**
 * POSTs `body` to the destination, signed with each key, within `timeoutMs`. Redirects are not
 * followed (a 3xx is a failure: the signed body goes only where it was configured to go). Only a
 * 2xx delivers. The answer's body is not read.
 */
export async function sendDelivery(
  target: PostTarget & { timeoutMs: number },
  webhookId: string,
  body: string,
): Promise<SendOutcome> {
  const timestamp = Math.floor(Date.now() / 1000);
  const headers = {
    "content-type": "application/json",
    "user-agent": "omisell-push",
    ...(await webhookHeaders(target.keys, webhookId, timestamp, body)),
  };
  let response: Response;
  try {
    response = await fetch(target.url, {
      method: "POST",
      headers,
      body,
      redirect: "manual",
      signal: AbortSignal.timeout(target.timeoutMs),
    });
  } catch (err) {
    const name = err instanceof Error ? err.name : "";
    if (name === "TimeoutError" || name === "AbortError") {
      return { ok: false, statusCode: null, error: `timed out after ${target.timeoutMs} ms` };
    }
    return { ok: false, statusCode: null, error: `network error: ${err instanceof Error ? err.message : String(err)}` };
  }
  await response.body?.cancel().catch(() => undefined);
  const status = response.status;
  if (status >= 200 && status < 300) return { ok: true, statusCode: status };
  if (status >= 300 && status < 400) {
    const location = response.headers.get("location");
    const where = location ? ` to ${location.slice(0, 200)}` : "";
    return { ok: false, statusCode: status, error: `HTTP ${status} redirect${where} (not followed)` };
  }
  return { ok: false, statusCode: status, error: `HTTP ${status}` };
}
