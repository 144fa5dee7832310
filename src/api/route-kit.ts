/**
 * The pieces every read-API route is declared with: a route is one `createRoute` declaration (path,
 * schemas, answers, who may call it) plus one handler, and the OpenAPI document comes from them.
 */
import { OpenAPIHono } from "@hono/zod-openapi";
import { z } from "zod";
import type { AuthVariables } from "../auth/bearer";
import { requireAdmin } from "../auth/bearer";
import { HttpError, invalidRequest } from "../errors";
import { ErrorBody } from "./schemas";

/** What a handler's context holds: the Worker's bindings, and who the bearer token belongs to. */
export type ApiEnv = { Bindings: Env; Variables: AuthVariables };

/** The security scheme every /api route is documented with (the bearer middleware enforces it). */
export const BEARER_SCHEME = "bearerAuth";

/**
 * A router whose declared params, query and body are validated before the handler runs; a
 * failure is thrown as the API's one 400 shape naming each field (`invalidRequest`), which the
 * app's error handler renders.
 */
export function apiRouter() {
  return new OpenAPIHono<ApiEnv>({
    defaultHook: (result) => {
      // The validator hands the hook what it validated as `data` (not in the declared type): a
      // parameter it lacks is then named "required".
      if (!result.success) throw invalidRequest(result.error, "data" in result ? result.data : undefined);
    },
  });
}

/** A JSON answer described by a schema (a component when the schema has a `meta` id). */
export function jsonAnswer<S extends z.ZodType>(schema: S, description: string) {
  return { description, content: { "application/json": { schema } } };
}

const ERROR_TEXT = {
  400: "A parameter is invalid; `fields` names each one (`body` when the body is not valid JSON, `cursor` for a cursor this worker did not hand out).",
  401: "No valid bearer token.",
  403: "The token may read but not do this.",
  404: "Not found.",
  409: "The resource's state does not allow this.",
  415: "The body is not sent as JSON (`Content-Type: application/json`); `fields.body` says so.",
  503: "D1 is unavailable.",
} as const;

type ErrorStatus = keyof typeof ERROR_TEXT;

/**
 * The error answers a route can give, each in the one error shape. `describe` overrides the
 * generic text where a route's reason is its own.
 */
export function errorAnswers<const S extends ErrorStatus>(statuses: S[], describe: Partial<Record<S, string>> = {}) {
  const out = {} as Record<S, ReturnType<typeof jsonAnswer<typeof ErrorBody>>>;
  for (const status of statuses) out[status] = jsonAnswer(ErrorBody, describe[status] ?? ERROR_TEXT[status]);
  return out;
}

/**
 * What a read found, or the API's 404 saying what was not.
 * @example c.json(foundOr404(await readEvent(db, id), "no event with this id"), 200)
 */
export function foundOr404<T>(found: T | null, message: string): T {
  if (found === null) throw new HttpError(404, "not_found", message);
  return found;
}

/** Spread into a declaration that needs no token: documented without security. */
export const publicAccess = { security: [] };

/**
 * Spread into a declaration only an admin token may call: documents the role and adds the
 * check that answers 403 to a read token (after the bearer check, before validation).
 */
export const adminAccess = {
  security: [{ [BEARER_SCHEME]: [] }],
  "x-required-role": "admin",
  middleware: [requireAdmin],
};

/**
 * A query schema that takes the first value of a repeated parameter (`?limit=1&limit=2` reads
 * limit=1), as `c.req.query()` does; the validator would otherwise hand it an array.
 */
export function firstOfRepeated<S extends z.ZodType>(schema: S) {
  return z
    .transform((query: unknown) => {
      if (!query || typeof query !== "object") return query;
      return Object.fromEntries(Object.entries(query).map(([name, value]) => [name, firstValue(value)]));
    })
    .pipe(schema);
}

function firstValue(value: unknown): unknown {
  return Array.isArray(value) ? value[0] : value;
}
