/** Sends pushes to the worker the way Omisell does: raw bytes, signed, over fetch. */
import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env, exports } from "cloudflare:workers";
import { createApp } from "../../src/app";
import type { PushSteps } from "../../src/push/ingest";
import { signPush } from "../../src/push/signature";

export const CALLBACK_URL = "https://omisell-push.example.workers.dev/webhooks/omisell";
export const PUSH_SECRET = "test-push-secret";

type SendOptions = {
  secret?: string;
  authorization?: string | null;
  headers?: Record<string, string>;
  method?: string;
  /** Store through these steps (fakes) instead of the worker's real ones. */
  steps?: PushSteps;
};

export function toBytes(body: string | Uint8Array | object): Uint8Array {
  if (body instanceof Uint8Array) return body;
  return new TextEncoder().encode(typeof body === "string" ? body : JSON.stringify(body));
}

export async function sendPush(body: string | Uint8Array | object, options: SendOptions = {}): Promise<Response> {
  const bytes = toBytes(body);
  const authorization =
    options.authorization === undefined
      ? await signPush(options.secret ?? PUSH_SECRET, CALLBACK_URL, bytes)
      : options.authorization;
  const headers = new Headers({ "content-type": "application/json", ...options.headers });
  if (authorization !== null) headers.set("authorization", authorization);
  const request = new Request(CALLBACK_URL, { method: options.method ?? "POST", headers, body: bytes });
  if (options.steps) return fetchWithEnv(request, {}, options.steps);
  return exports.default.fetch(request);
}

let counter = 0;
/** A push with a fresh request_id, so tests do not see each other's rows. */
export function samplePush(event = "order.shipped", overrides: Record<string, unknown> = {}) {
  counter += 1;
  return {
    request_id: `test-${crypto.randomUUID()}-${counter}`,
    event,
    seller_id: 1001,
    timestamp: 1732780800,
    data: { omisell_order_number: `OM${Date.now()}${counter}`, order_number: "SHP-1", status_name: "Shipped" },
    ...overrides,
  };
}

export async function countEvents(where = "1 = 1", ...params: unknown[]): Promise<number> {
  const row = await env.DB.prepare(`SELECT COUNT(*) AS n FROM events WHERE ${where}`)
    .bind(...params)
    .first<{ n: number }>();
  return row?.n ?? 0;
}

export function eventRow(id: string) {
  return env.DB.prepare("SELECT * FROM events WHERE id = ?").bind(id).first<Record<string, unknown>>();
}

/**
 * Calls the worker's fetch handler with some vars changed (signature mode, secrets, lease...),
 * as a deployment with that configuration would run it, optionally storing pushes through the
 * given steps (fakes). Waits for `waitUntil` work to finish.
 */
export async function fetchWithEnv(
  request: Request,
  overrides: Record<string, string>,
  steps?: PushSteps,
): Promise<Response> {
  const fetcher = steps ? createApp({ pushSteps: steps }) : (await import("../../src/index")).default;
  const ctx = createExecutionContext();
  const res = await fetcher.fetch(request, { ...env, ...overrides } as Env, ctx);
  await waitOnExecutionContext(ctx);
  return res;
}

/** A signed push request, not sent. */
export async function signedRequest(
  body: string | Uint8Array | object,
  options: { secret?: string; url?: string; signUrl?: string; headers?: Record<string, string> } = {},
): Promise<Request> {
  const bytes = toBytes(body);
  const url = options.url ?? CALLBACK_URL;
  const signature = await signPush(options.secret ?? PUSH_SECRET, options.signUrl ?? url, bytes);
  return new Request(url, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: signature, ...options.headers },
    body: bytes,
  });
}
