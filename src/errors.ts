/**
 * One error shape for the whole worker, `{"error": code, "message"?, "fields"?}`, and the one
 * place errors become answers.
 */
import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { z } from "zod";
import { ConfigError } from "./config";
import { log } from "./lib/log";

/** What every handler throws for an error answer, keeping what caused it. */
export class HttpError extends Error {
  constructor(
    readonly status: ContentfulStatusCode,
    readonly code: string,
    message?: string,
    readonly extra: { fields?: Record<string, string>; headers?: Record<string, string>; cause?: unknown } = {},
  ) {
    super(message ?? code, extra.cause === undefined ? undefined : { cause: extra.cause });
  }
}

/** D1 could not store a push: a retryable 503, so Omisell's retry stores it. */
export function storageUnavailable(cause?: unknown): HttpError {
  return new HttpError(503, "storage_unavailable", "the push could not be stored; retry", {
    headers: { "Retry-After": "5" },
    cause,
  });
}

export function errorBody(code: string, message?: string, fields?: Record<string, string>) {
  return {
    error: code,
    ...(message !== undefined ? { message } : {}),
    ...(fields !== undefined ? { fields } : {}),
  };
}

/** The app's onError (and its not-found answer): anything thrown, in the one shape. */
export function renderError(err: Error, c: Context): Response {
  if (err instanceof HttpError) {
    if (err.status >= 500) log("error", "http_error", { code: err.code, path: c.req.path, cause: causeOf(err) });
    for (const [name, value] of Object.entries(err.extra.headers ?? {})) c.header(name, value);
    const message = err.message === err.code ? undefined : err.message;
    return c.json(errorBody(err.code, message, err.extra.fields), err.status);
  }
  if (err instanceof ConfigError) {
    log("error", "config_invalid", { fields: err.fields });
    return c.json(errorBody("not_configured", `invalid: ${err.fields.join(", ")}`), 503);
  }
  if (err instanceof HTTPException) return renderRequestError(err, c);
  log("error", "unhandled_error", { path: c.req.path, error: describeError(err) });
  return c.json(errorBody("internal_error"), 500);
}

/**
 * Hono's own refusals of a request it could not read, in the one shape: a body that is not JSON
 * (or not a form) is 400 `invalid_request` naming `body`, a body of another media type 415
 * `unsupported_media_type` naming `body`; anything else keeps its status as `http_error`.
 */
function renderRequestError(err: HTTPException, c: Context): Response {
  if (err.status === 400) {
    const what = /json/i.test(err.message) ? "not valid JSON" : "could not be read";
    return c.json(errorBody("invalid_request", undefined, { body: what }), 400);
  }
  if (err.status === 415) {
    const fields = { body: "must be JSON, sent with Content-Type: application/json" };
    return c.json(errorBody("unsupported_media_type", undefined, fields), 415);
  }
  return c.json(errorBody("http_error", err.message || undefined), err.status);
}

function causeOf(err: Error): string | undefined {
  return err.cause === undefined ? undefined : describeError(err.cause);
}

export function describeError(err: unknown): string {
  if (err instanceof Error) return `${err.name}: ${err.message}`.slice(0, 500);
  return String(err).slice(0, 500);
}

/** The value at `path` of `input`, or undefined when any step of it is missing. */
function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let value = input;
  for (const key of path) {
    if (typeof value !== "object" || value === null) return undefined;
    value = (value as Record<PropertyKey, unknown>)[key];
  }
  return value;
}

/**
 * What is wrong with each parameter of a failed zod parse, by name: one message per parameter
 * (the first issue wins), unknown parameters included. Given the parsed `input`, a parameter it
 * lacks is "required" (zod itself says "Invalid input" there). The API's 400 and the dashboard's
 * filter form both show these.
 */
export function fieldErrors(error: z.ZodError, input?: unknown): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const issue of error.issues) {
    if (issue.code === "unrecognized_keys") {
      // Named with their path, so an unknown key of a nested object reads `filter.colour`.
      const prefix = issue.path.map(String).join(".");
      for (const key of issue.keys) fields[prefix ? `${prefix}.${key}` : key] ??= "unknown parameter";
      continue;
    }
    const name = issue.path.length > 0 ? issue.path.map(String).join(".") : "request";
    const missing = input !== undefined && issue.path.length > 0 && valueAt(input, issue.path) === undefined;
    fields[name] ??= missing ? "required" : issue.message;
  }
  return fields;
}

/** The API's 400: `{"error":"invalid_request","fields":{<parameter>: <what is wrong>}}`. */
export function invalidRequest(error: z.ZodError, input?: unknown): HttpError {
  return new HttpError(400, "invalid_request", undefined, { fields: fieldErrors(error, input) });
}

/** The API's 400 for one parameter, e.g. a range that the schema alone cannot judge. */
export function invalidField(field: string, message: string): HttpError {
  return new HttpError(400, "invalid_request", undefined, { fields: { [field]: message } });
}

/** Parses `input` with `schema` or throws the API's 400 naming each bad field. */
export function parseOrThrow<S extends z.ZodType>(schema: S, input: unknown): z.output<S> {
  const result = schema.safeParse(input);
  if (!result.success) throw invalidRequest(result.error, input);
  return result.data;
}
