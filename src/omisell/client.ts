/**
 * The Omisell API client: every call through the rate limiter, with a timeout, read from Omisell's
 * envelope, never a throw.
 */

import { z } from "zod";
import { parseJsonOr } from "../lib/json";
import { fail, ok, type Result } from "../lib/result";
import type { Priority } from "./bucket";
import { type ApiFailure, classifyStatus, parseCallLimit, parseRetryAfter, throttlePauseSeconds } from "./failure";
import type { OmisellLimiter } from "./limiter-handle";

export type OmisellResult<T> = Result<T, ApiFailure>;

export type OmisellConnection = {
  base: string;
  timeoutMs: number;
  /** Every call takes a slot from it first; see limiter-handle.ts. */
  limiter: OmisellLimiter;
  /** Whose call this is: push follow-ups go before reconciliation, which goes before replays. */
  priority: Priority;
  /** Defaults to the global fetch at call time (tests replace it). */
  fetch?: typeof fetch;
};

/** Supplies the auth headers of a call; see auth.ts for the three modes. */
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

/** A wait the limiter asks for that is shorter than this is waited out here, not handed back. */
const MAX_INLINE_WAIT_MS = 2_000;
/** How many short waits in a row before handing back "throttled" (others keep taking the slot). */
const MAX_INLINE_WAITS = 3;
/** The longest a call waits for its limiter slot before it is sent or handed back. */
export const LIMITER_WAIT_BOUND_MS = MAX_INLINE_WAIT_MS * MAX_INLINE_WAITS;

/** A slot from the limiter, waiting out short waits; the failure to hand back when the wait is long. */
async function takeSlot(connection: OmisellConnection): Promise<ApiFailure | null> {
  for (let waits = 0; ; waits++) {
    const slot = await connection.limiter.acquire(connection.priority);
    if (slot.go) return null;
    if (slot.waitMs > MAX_INLINE_WAIT_MS || waits >= MAX_INLINE_WAITS) {
      const seconds = Math.max(1, Math.ceil(slot.waitMs / 1000));
      return {
        kind: "throttled",
        error: `waiting for Omisell API budget (${seconds} s)`,
        retryAfterSeconds: seconds,
      };
    }
    await new Promise((resolve) => setTimeout(resolve, slot.waitMs));
  }
}

/**
 * One request to the Omisell API; never throws. It asks the rate limiter for a slot first and
 * reports Omisell's answer (call-limit header, 429 pause) back to it, and turns every failure into
 * an `ApiFailure` (retryable, permanent or throttled, see failure.ts). An envelope
 * `{ error: true, error_code, messages }` is a failure even on HTTP 200.
 */
export async function requestOmisell(
  connection: OmisellConnection,
  path: string,
  init: { method?: string; headers?: Record<string, string>; body?: unknown } = {},
): Promise<OmisellResult<unknown>> {
  const waiting = await takeSlot(connection);
  if (waiting) return fail(waiting);

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
    await connection.limiter.report({});
    const timedOut = err instanceof Error && (err.name === "TimeoutError" || err.name === "AbortError");
    const error = timedOut
      ? `timeout: no answer from Omisell within ${connection.timeoutMs} ms`
      : `network error: ${err instanceof Error ? err.message : String(err)}`;
    return fail({ kind: "retryable", error: short(error) });
  }

  const json = parseJsonOr(text, undefined);
  const status = response.status;
  const envelope = Envelope.safeParse(json);
  const code = envelope.success && envelope.data.error === true ? Number(envelope.data.error_code) : null;
  const retryAfter = parseRetryAfter(response.headers.get("retry-after"), Date.now());
  const throttled = status === 429 || code === 429;
  const pauseSeconds = throttled ? throttlePauseSeconds(retryAfter, json) : undefined;
  await connection.limiter.report({
    ...parseCallLimit(response.headers.get("x-omisell-api-call-limit")),
    ...(pauseSeconds === undefined ? {} : { pauseMs: pauseSeconds * 1000 }),
  });

  if (status < 200 || status > 299) {
    const failure: ApiFailure = {
      kind: classifyStatus(status),
      error: short(`HTTP ${status} from Omisell${text.trim() ? `: ${text.trim()}` : ""}`),
      status,
    };
    const wait = pauseSeconds ?? retryAfter;
    if (wait !== null) failure.retryAfterSeconds = wait;
    if (status === 401) failure.unauthorized = true;
    return fail(failure);
  }
  if (json === undefined) {
    return fail({ kind: "retryable", status, error: short(`malformed answer from Omisell (not JSON): ${text}`, 200) });
  }
  if (!envelope.success) {
    return fail({ kind: "retryable", status, error: "malformed answer from Omisell (not an envelope)" });
  }
  const { error, messages, data } = envelope.data;
  if (error === true) {
    const hasCode = code !== null && Number.isInteger(code) && code > 0;
    const failure: ApiFailure = {
      kind: hasCode ? classifyStatus(code) : "permanent",
      status,
      error: short(`Omisell error${hasCode ? ` ${code}` : ""}: ${describeMessages(messages) || "no message"}`),
    };
    if (pauseSeconds !== undefined) failure.retryAfterSeconds = pauseSeconds;
    if (code === 401) failure.unauthorized = true;
    return fail(failure);
  }
  return ok(data);
}

/** A call with credentials; on a 401, one re-authentication and one more try. */
export async function requestOmisellAuthorized(
  connection: OmisellConnection,
  auth: OmisellAuth,
  path: string,
): Promise<OmisellResult<unknown>> {
  let headers = await auth.headers();
  if (!headers.ok) return headers;
  const first = await requestOmisell(connection, path, { headers: headers.value });
  if (first.ok || !first.reason.unauthorized) return first;
  if (!(await auth.reauthenticate())) return first;
  headers = await auth.headers();
  if (!headers.ok) return headers;
  return requestOmisell(connection, path, { headers: headers.value });
}
