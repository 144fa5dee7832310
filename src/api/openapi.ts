/**
 * The OpenAPI 3.1 document of the read API, built from the zod schemas the handlers validate
 * with (`schemas.ts`), so the reference cannot drift from what the code accepts and answers.
 */
import { z } from "zod";
import {
  ErrorBody,
  EventDetail,
  EventIdParam,
  EventPage,
  EventSummary,
  Health,
  ListEventsQuery,
  OrderNumberParam,
  OrderView,
  ReplayAccepted,
  Stats,
} from "./schemas";

type JsonSchema = Record<string, unknown>;
type Auth = "none" | "read" | "admin";

type ApiOperation = {
  method: "get" | "post";
  /** OpenAPI form, `{name}` for path parameters. */
  path: string;
  operationId: string;
  summary: string;
  description: string;
  tag: string;
  auth: Auth;
  pathParams?: z.ZodObject;
  query?: z.ZodType;
  success: { status: number; description: string; schema?: string; contentType?: string };
  errors: number[];
};

/** Every route of `routes.ts` (and GET /health of app.ts), in the order the reference shows them. */
export const API_OPERATIONS: ApiOperation[] = [
  {
    method: "get",
    path: "/api/events",
    operationId: "listEvents",
    summary: "List events",
    description:
      "Stored pushes, newest first, without payload. Filters combine with AND. Page with `cursor` = the previous `next_cursor`; pages never overlap.",
    tag: "Events",
    auth: "read",
    query: ListEventsQuery,
    success: { status: 200, description: "A page of events.", schema: "EventPage" },
    errors: [400, 401],
  },
  {
    method: "get",
    path: "/api/events/{id}",
    operationId: "getEvent",
    summary: "Get one event",
    description: "The event with its payload: parsed JSON, or the raw text when the body was not JSON.",
    tag: "Events",
    auth: "read",
    pathParams: EventIdParam,
    success: { status: 200, description: "The event.", schema: "EventDetail" },
    errors: [400, 401, 404],
  },
  {
    method: "post",
    path: "/api/events/{id}/replay",
    operationId: "replayEvent",
    summary: "Replay an event's follow-up",
    description:
      "Sets the event back to `received` and enqueues its follow-up again (fetches the order anew). Needs an admin token.",
    tag: "Events",
    auth: "admin",
    pathParams: EventIdParam,
    success: { status: 202, description: "Follow-up enqueued.", schema: "ReplayAccepted" },
    errors: [400, 401, 403, 404, 409],
  },
  {
    method: "get",
    path: "/api/orders/{omisell_order_number}",
    operationId: "getOrder",
    summary: "Get an order and its timeline",
    description:
      "The latest snapshot fetched from Omisell (or null) and every stored event about the order, oldest first.",
    tag: "Orders",
    auth: "read",
    pathParams: OrderNumberParam,
    success: { status: 200, description: "The order.", schema: "OrderView" },
    errors: [400, 401, 404],
  },
  {
    method: "get",
    path: "/api/stats",
    operationId: "getStats",
    summary: "Stats",
    description:
      "Counts by status and event, backlog, failures, last received push, hourly counts of the last 24 hours.",
    tag: "Stats",
    auth: "read",
    success: { status: 200, description: "The figures.", schema: "Stats" },
    errors: [401],
  },
  {
    method: "get",
    path: "/health",
    operationId: "getHealth",
    summary: "Health",
    description: "Answers 200 when the worker can reach D1. No token needed.",
    tag: "Service",
    auth: "none",
    success: { status: 200, description: "Healthy.", schema: "Health" },
    errors: [503],
  },
  {
    method: "get",
    path: "/openapi.json",
    operationId: "getOpenApi",
    summary: "This document",
    description: "The OpenAPI 3.1 description of the read API.",
    tag: "Service",
    auth: "none",
    success: { status: 200, description: "OpenAPI document." },
    errors: [],
  },
  {
    method: "get",
    path: "/docs",
    operationId: "getDocs",
    summary: "Interactive reference",
    description: "An HTML page that lists these operations and sends requests with your token.",
    tag: "Service",
    auth: "none",
    success: { status: 200, description: "HTML page.", contentType: "text/html" },
    errors: [],
  },
];

const COMPONENTS = { EventSummary, EventDetail, EventPage, OrderView, Stats, ReplayAccepted, Error: ErrorBody, Health };

const ERROR_TEXT: Record<number, string> = {
  400: "A parameter is invalid; `fields` names each one.",
  401: "No valid bearer token.",
  403: "The token may read but not do this.",
  404: "Not found.",
  409: "The event is `invalid` (not a usable push): there is nothing to follow up.",
  503: "D1 is unavailable.",
};

function bare(schema: JsonSchema): JsonSchema {
  const { $schema: _schema, $id: _id, ...rest } = schema;
  return rest;
}

function componentSchemas(): Record<string, JsonSchema> {
  const all = z.toJSONSchema(z.globalRegistry, { uri: (id) => `#/components/schemas/${id}` }).schemas;
  const out: Record<string, JsonSchema> = {};
  for (const name of Object.keys(COMPONENTS)) {
    const schema = all[name];
    if (!schema) throw new Error(`schema ${name} is not registered with an id`);
    out[name] = bare(schema as JsonSchema);
  }
  return out;
}

/** Each property of an object schema becomes one parameter, described by its input schema. */
function parametersOf(schema: z.ZodType | undefined, where: "path" | "query") {
  if (!schema) return [];
  const json = z.toJSONSchema(schema, { io: "input" }) as {
    properties?: Record<string, JsonSchema>;
    required?: string[];
  };
  return Object.entries(json.properties ?? {}).map(([name, property]) => {
    const { description, ...rest } = property;
    return {
      name,
      in: where,
      required: where === "path" || (json.required ?? []).includes(name),
      ...(typeof description === "string" ? { description } : {}),
      schema: rest,
    };
  });
}

function operationObject(op: ApiOperation) {
  const content = (schema: string | undefined, type = "application/json") =>
    schema ? { [type]: { schema: { $ref: `#/components/schemas/${schema}` } } } : { [type]: {} };
  const responses: Record<string, unknown> = {
    [String(op.success.status)]: {
      description: op.success.description,
      content: content(op.success.schema, op.success.contentType),
    },
  };
  for (const status of op.errors) {
    responses[String(status)] = { description: ERROR_TEXT[status] ?? "Error.", content: content("Error") };
  }
  return {
    operationId: op.operationId,
    summary: op.summary,
    description: op.description,
    tags: [op.tag],
    ...(op.auth === "none" ? { security: [] } : {}),
    ...(op.auth === "admin" ? { "x-required-role": "admin" } : {}),
    parameters: [...parametersOf(op.pathParams, "path"), ...parametersOf(op.query, "query")],
    responses,
  };
}

export function buildOpenApiDocument(serverUrl: string) {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const op of API_OPERATIONS) {
    paths[op.path] ??= {};
    (paths[op.path] as Record<string, unknown>)[op.method] = operationObject(op);
  }
  return {
    openapi: "3.1.0",
    info: {
      title: "omisell-push read API",
      version: "1.0.0",
      description:
        "What arrived from Omisell: stored pushes, their follow-up status, order snapshots and stats. Send `Authorization: Bearer <token>` (READ_API_TOKENS, or ADMIN_API_TOKENS for replay).",
    },
    servers: [{ url: serverUrl }],
    tags: [
      { name: "Events", description: "Stored pushes." },
      { name: "Orders", description: "Order snapshots and timelines." },
      { name: "Stats", description: "Figures for monitoring." },
      { name: "Service", description: "Health and this reference." },
    ],
    security: [{ bearerAuth: [] }],
    paths,
    components: {
      securitySchemes: {
        bearerAuth: { type: "http", scheme: "bearer", description: "A READ_API_TOKENS or ADMIN_API_TOKENS value." },
      },
      schemas: componentSchemas(),
    },
  };
}
