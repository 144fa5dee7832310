/**
 * /openapi.json is a valid OpenAPI 3.1 document generated from the handlers' zod schemas and
 * lists every route of the read API; /docs is served without external resources.
 */
import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { API_OPERATIONS } from "../src/api/openapi";
import { app } from "../src/app";
import { BASE } from "./helpers/read-api";

type Doc = {
  openapi: string;
  info: { title: string; version: string };
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, unknown>; securitySchemes: Record<string, unknown> };
};
type Operation = {
  operationId: string;
  parameters: { name: string; in: string; required: boolean; schema: Record<string, unknown> }[];
  responses: Record<string, { description: string; content?: Record<string, { schema?: unknown }> }>;
  security?: unknown[];
};

async function document(): Promise<Doc> {
  const res = await exports.default.fetch(`${BASE}/openapi.json`);
  expect(res.status).toBe(200);
  return (await res.json()) as Doc;
}

const HTTP_METHODS = ["get", "put", "post", "delete", "options", "head", "patch", "trace"];

function allRefs(node: unknown, out: string[] = []): string[] {
  if (Array.isArray(node)) for (const item of node) allRefs(item, out);
  else if (node && typeof node === "object") {
    for (const [key, value] of Object.entries(node)) {
      if (key === "$ref" && typeof value === "string") out.push(value);
      else allRefs(value, out);
    }
  }
  return out;
}

describe("the OpenAPI document", () => {
  it("is OpenAPI 3.1 with info, paths and a bearer security scheme", async () => {
    const doc = await document();
    expect(doc.openapi).toMatch(/^3\.1\.\d+$/);
    expect(doc.info.title).toBeTruthy();
    expect(doc.info.version).toBeTruthy();
    expect(doc.components.securitySchemes.bearerAuth).toEqual(
      expect.objectContaining({ type: "http", scheme: "bearer" }),
    );
  });

  it("has the structure OpenAPI 3.1 requires of every operation", async () => {
    const doc = await document();
    const ids = new Set<string>();
    for (const [path, item] of Object.entries(doc.paths)) {
      expect(path.startsWith("/")).toBe(true);
      const templated = [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]);
      for (const [method, op] of Object.entries(item)) {
        expect(HTTP_METHODS).toContain(method);
        expect(ids.has(op.operationId), `duplicate operationId ${op.operationId}`).toBe(false);
        ids.add(op.operationId);
        expect(Object.keys(op.responses).length).toBeGreaterThan(0);
        for (const [code, response] of Object.entries(op.responses)) {
          expect(code).toMatch(/^[1-5]\d\d$/);
          expect(typeof response.description).toBe("string");
        }
        // Every templated segment is a required path parameter, and nothing else is.
        const pathParams = op.parameters.filter((p) => p.in === "path");
        expect(pathParams.map((p) => p.name).sort()).toEqual([...templated].sort());
        for (const p of pathParams) expect(p.required).toBe(true);
        for (const p of op.parameters) {
          expect(["query", "path", "header", "cookie"]).toContain(p.in);
          expect(typeof p.schema.type).toBe("string");
        }
      }
    }
  });

  it("resolves every $ref to a component schema", async () => {
    const doc = await document();
    const refs = allRefs(doc);
    expect(refs.length).toBeGreaterThan(5);
    for (const ref of refs) {
      expect(ref).toMatch(/^#\/components\/schemas\//);
      expect(doc.components.schemas).toHaveProperty(ref.slice("#/components/schemas/".length));
    }
  });

  it("lists every route the app serves under /api, plus /health, /openapi.json and /docs", async () => {
    const doc = await document();
    const documented = new Set(
      Object.entries(doc.paths).flatMap(([path, item]) => Object.keys(item).map((m) => `${m.toUpperCase()} ${path}`)),
    );
    const served = app.routes
      .filter((r) => r.method !== "ALL" && /^\/(api\/|health$|openapi\.json$|docs$)/.test(r.path))
      .map((r) => `${r.method} ${r.path.replace(/:([A-Za-z_]+)/g, "{$1}")}`);
    expect(served.length).toBeGreaterThanOrEqual(8);
    for (const route of served) expect(documented, `${route} is not documented`).toContain(route);
    expect(documented.size).toBe(new Set(served).size);
  });

  it("describes the list filters from the same schema the handler validates with", async () => {
    const doc = await document();
    const params = doc.paths["/api/events"]?.get?.parameters ?? [];
    const byName = Object.fromEntries(params.map((p) => [p.name, p]));
    expect(Object.keys(byName).sort()).toEqual(
      [
        "category",
        "cursor",
        "event",
        "limit",
        "order_number",
        "resource_id",
        "seller_id",
        "since",
        "status",
        "until",
      ].sort(),
    );
    expect(byName.limit?.schema).toMatchObject({ type: "integer", minimum: 1, maximum: 200, default: 50 });
    expect(byName.status?.schema.enum).toEqual(["received", "processed", "skipped", "failed", "invalid"]);
  });

  it("marks /health, /openapi.json and /docs as needing no token, replay as admin", async () => {
    const doc = await document();
    for (const path of ["/health", "/openapi.json", "/docs"]) expect(doc.paths[path]?.get?.security).toEqual([]);
    expect(doc.paths["/api/events/{id}/replay"]?.post).toHaveProperty("x-required-role", "admin");
    expect(API_OPERATIONS.filter((op) => op.auth === "admin").map((op) => op.operationId)).toEqual(["replayEvent"]);
  });
});

describe("/docs", () => {
  it("serves an HTML page whose script and styles come from the worker itself", async () => {
    const res = await exports.default.fetch(`${BASE}/docs`);
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain('src="/docs/app.js"');
    expect(html).not.toMatch(/https?:\/\//);
    expect(res.headers.get("Content-Security-Policy")).toContain("script-src 'self'");
    const script = await exports.default.fetch(`${BASE}/docs/app.js`);
    expect(script.headers.get("Content-Type")).toContain("javascript");
    expect(await script.text()).toContain("/openapi.json");
  });

  it("answers with the security headers: no framing, no sniffing, no referrer", async () => {
    for (const path of ["/docs", "/docs/app.js"]) {
      const res = await exports.default.fetch(`${BASE}${path}`);
      expect(res.headers.get("Content-Security-Policy")).toContain("frame-ancestors 'none'");
      expect(res.headers.get("X-Frame-Options")).toBe("DENY");
      expect(res.headers.get("X-Content-Type-Options")).toBe("nosniff");
      expect(res.headers.get("Referrer-Policy")).toBe("no-referrer");
    }
  });
});
