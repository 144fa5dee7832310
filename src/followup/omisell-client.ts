/**
 * The Omisell API client: one call with a timeout, Omisell's envelope read, every failure turned
 * into an `ApiFailure` (retryable or permanent, see retry-policy.ts) instead of a throw. An
 * envelope `{ error: true, error_code, messages }` is a failure even on HTTP 200.
 */
import { z } from "zod";
import { type ApiFailure, classifyStatus, parseRetryAfter } from "./retry-policy";

export type OmisellResult<T> = { ok: true; data: T } | { ok: false; failure: ApiFailure };

export type OmisellConnection = {
  base: string;
  timeoutMs: number;
  /** Defaults to the global fetch at call time (tests replace it). */
  fetch?: typeof fetch;
};

/** Supplies the auth headers of a call; see omisell-auth.ts for the three modes. */
export type OmisellAuth = {
  headers(): Promise<OmisellResult<Record<string, string>>>;
  /** After a 401: get fresh credentials. False when there is nothing fresher to get (static keys). */
  reauthenticate(): Promise<boolean>;
};

const Envelope = z.looseObject({
  data: z.unknown().optional(),
  error: z.boolean().optional(),
  error_code: z.union([z.number(), z.string()]).optional().nullable(),
  messages: z.unknown().optional(),
});

function describeMessages(messages: unknown): string {
  if (typeof messages === "string") return messages;
  if (messages === undefined || messages === null) return "";
  return JSON.stringify(messages);
}

function short(text: string, max = 300): string {
  return text.length > max ? `${text.slice(0, max)}…` : text;
}

/** One request to the Omisell API; never throws. */
export async function requestOmisell(
  connection: OmisellConnection,
  path: string,
  init: { method?: string; headers?: Record<string, string>; body?: unknown } = {},
): Promise<OmisellResult<unknown>> {
  const fetchImpl = connection.fetch ?? globalThis.fetch;
  const url = `${connection.base}${path}`;
  const headers: Record<string, string> = { accept: "application/json", ...init.headers };
  if (init.body !== undefined) headers["content-type"] = "application/json";
  let response: Response;
  let text: string;
  try {
    response = await fetchImpl(url, {
      method: init.method ?? "GET",
      headers,
      body: init.body === undefined ? undefined : JSON.stringify(init.body),
      signal: AbortSignal.timeout(connection.timeoutMs),
    });
    text = await response.text();
  } catch (err) {
    const timedOut = err instanceof Error && (err.name === "TimeoutError" || err.name === "AbortError");
    const error = timedOut
      ? `timeout: no answer from Omisell within ${connection.timeoutMs} ms`
      : `network error: ${err instanceof Error ? err.message : String(err)}`;
    return { ok: false, failure: { kind: "retryable", error: short(error) } };
  }

  const status = response.status;
  if (status < 200 || status > 299) {
    const retryAfter = parseRetryAfter(response.headers.get("retry-after"), Date.now());
    const failure: ApiFailure = {
      kind: classifyStatus(status),
      error: short(`HTTP ${status} from Omisell${text.trim() ? `: ${text.trim()}` : ""}`),
      status,
    };
    if (retryAfter !== null) failure.retryAfterSeconds = retryAfter;
    if (status === 401) failure.unauthorized = true;
    return { ok: false, failure };
  }

  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return {
      ok: false,
      failure: { kind: "retryable", status, error: short(`malformed answer from Omisell (not JSON): ${text}`, 200) },
    };
  }
  const envelope = Envelope.safeParse(json);
  if (!envelope.success) {
    return {
      ok: false,
      failure: { kind: "retryable", status, error: "malformed answer from Omisell (not an envelope)" },
    };
  }
  const { error, error_code: errorCode, messages, data } = envelope.data;
  if (error === true) {
    const code = Number(errorCode);
    const hasCode = Number.isInteger(code) && code > 0;
    const failure: ApiFailure = {
      kind: hasCode ? classifyStatus(code) : "permanent",
      status,
      error: short(`Omisell error${hasCode ? ` ${code}` : ""}: ${describeMessages(messages) || "no message"}`),
    };
    if (code === 401) failure.unauthorized = true;
    return { ok: false, failure };
  }
  return { ok: true, data };
}

/** A call with credentials; on a 401, one re-authentication and one more try. */
export async function requestOmisellAuthorized(
  connection: OmisellConnection,
  auth: OmisellAuth,
  path: string,
): Promise<OmisellResult<unknown>> {
  let headers = await auth.headers();
  if (!headers.ok) return headers;
  const first = await requestOmisell(connection, path, { headers: headers.data });
  if (first.ok || !first.failure.unauthorized) return first;
  if (!(await auth.reauthenticate())) return first;
  headers = await auth.headers();
  if (!headers.ok) return headers;
  return requestOmisell(connection, path, { headers: headers.data });
}

/** The order as Omisell's `data` object; only the fields we index are typed. */
const OrderDetail = z.looseObject({
  omisell_order_number: z.union([z.string(), z.number()]).optional(),
  status_name: z.string().nullish(),
  seller_id: z.union([z.string(), z.number()]).nullish(),
});
export type OrderDetail = z.infer<typeof OrderDetail>;

/** GET /api/v2/public/order/{omisell_order_number}: the current order. */
export async function fetchOrderDetail(
  connection: OmisellConnection,
  auth: OmisellAuth,
  omisellOrderNumber: string,
): Promise<OmisellResult<OrderDetail>> {
  const path = `/api/v2/public/order/${encodeURIComponent(omisellOrderNumber)}`;
  const result = await requestOmisellAuthorized(connection, auth, path);
  if (!result.ok) return result;
  const order = OrderDetail.safeParse(result.data);
  if (!order.success) {
    return { ok: false, failure: { kind: "retryable", error: "malformed answer from Omisell (no order in data)" } };
  }
  return { ok: true, data: order.data };
}
