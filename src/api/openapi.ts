/**
 * The OpenAPI 3.1 document of the read API. The routes' declarations make it, so it cannot drift
 * from what the code serves; this file adds only what is document-wide (tags, the bearer scheme).
 */
import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import { z } from "zod";
import { BEARER_SCHEME, publicAccess } from "./route-kit";

/** GET /openapi.json, declared like every other route so the document lists itself. */
export const getOpenApi = createRoute({
  method: "get",
  path: "/openapi.json",
  operationId: "getOpenApi",
  tags: ["Service"],
  summary: "This document",
  description: "The OpenAPI 3.1 description of the read API.",
  ...publicAccess,
  responses: {
    200: {
      description: "OpenAPI document.",
      content: { "application/json": { schema: z.record(z.string(), z.unknown()) } },
    },
  },
});

const TAGS = [
  { name: "Pushes", description: "What Omisell sends." },
  { name: "Events", description: "Stored pushes." },
  { name: "Orders", description: "Order snapshots and timelines." },
  { name: "Stats", description: "Figures for monitoring." },
  { name: "Reconciliation", description: "Order changes Omisell listed that no push told about." },
  { name: "Change feed", description: "Every insert and status change, in commit order, for mirrors." },
  { name: "Forwarding", description: "Deliveries of settled events to the destinations." },
  { name: "Destinations", description: "Where settled events go: filters, formats, secrets, rate caps, health." },
  { name: "Alerts", description: "What the cron told ALERT_URL." },
  { name: "Archive", description: "What retention wrote to ARCHIVE (R2) before deleting it, and how to read it back." },
  { name: "Service", description: "Health and this reference." },
];

/** Registers the bearer scheme once; routes that need no token say `security: []`. */
export function registerBearerScheme(api: Pick<OpenAPIHono, "openAPIRegistry">) {
  api.openAPIRegistry.registerComponent("securitySchemes", BEARER_SCHEME, {
    type: "http",
    scheme: "bearer",
    description: "A READ_API_TOKENS or ADMIN_API_TOKENS value.",
  });
}

/** The document of every route declared on `api`, with `serverUrl` as its server. */
export function buildOpenApiDocument(api: Pick<OpenAPIHono, "getOpenAPI31Document">, serverUrl: string) {
  return api.getOpenAPI31Document({
    openapi: "3.1.0",
    info: {
      title: "omisell-push read API",
      version: "1.0.0",
      description:
        "What arrived from Omisell: stored pushes, their follow-up status, order snapshots and stats. Send `Authorization: Bearer <token>` (READ_API_TOKENS, or ADMIN_API_TOKENS for replays, reconciliation and destinations' changes).",
    },
    servers: [{ url: serverUrl }],
    tags: TAGS,
    security: [{ [BEARER_SCHEME]: [] }],
  });
}
