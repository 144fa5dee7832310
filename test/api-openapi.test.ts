/**
 * /openapi.json is a valid OpenAPI 3.1 document generated from the route declarations: every
 * route the app serves under /api is in it, and what it says about tokens and errors is what
 * the routes do. /docs is served without external resources.
 */
import { env, exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { app } from "../src/app";
import { newUlid } from "../src/lib/ids";
import { startRun } from "../src/store/reconcile";
import { insertReplay } from "../src/store/replays";
import { ownDay, retain, storeOldEvents } from "./helpers/archive";
import { insertDelivery, insertSettledEvent } from "./helpers/forward";
import { ADMIN_TOKEN, apiGet, BASE, json, READ_TOKEN, storeEvent, uniqueSeller } from "./helpers/read-api";

type ObjectSchema = { properties?: Record<string, unknown>; required?: string[] };
type Doc = {
  openapi: string;
  info: { title: string; version: string };
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, ObjectSchema>; securitySchemes: Record<string, unknown> };
  security?: unknown[];
};
type Parameter = { name: string; in: string; required: boolean; schema: Record<string, unknown> };
type Operation = {
  operationId: string;
  parameters?: Parameter[];
  responses: Record<string, { description: string; content?: Record<string, { schema?: unknown }> }>;
  security?: unknown[];
  "x-required-role"?: string;
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

function operations(doc: Doc) {
  return Object.entries(doc.paths).flatMap(([path, item]) =>
    Object.entries(item).map(([method, op]) => ({ method, path, op })),
  );
}

/** The path with each parameter filled with its documented example (or a placeholder). */
function concretePath(path: string, op: Operation): string {
  return path.replace(/\{([^}]+)\}/g, (_, name: string) => {
    const examples = op.parameters?.find((p) => p.name === name)?.schema.examples;
    return encodeURIComponent(Array.isArray(examples) ? String(examples[0]) : "x");
  });
}

function send(method: string, path: string, token: string | null) {
  if (method === "get") return apiGet(path, token);
  const headers = new Headers();
  if (token !== null) headers.set("authorization", `Bearer ${token}`);
  return exports.default.fetch(new Request(`${BASE}${path}`, { method: method.toUpperCase(), headers }));
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
        const pathParams = (op.parameters ?? []).filter((p) => p.in === "path");
        expect(pathParams.map((p) => p.name).sort()).toEqual([...templated].sort());
        for (const p of pathParams) expect(p.required).toBe(true);
        for (const p of op.parameters ?? []) {
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

  it("lists every route the app serves under /api, plus /health, /health/pipeline, /openapi.json, /docs and the push endpoint", async () => {
    const doc = await document();
    const documented = new Set(operations(doc).map(({ method, path }) => `${method.toUpperCase()} ${path}`));
    const served = app.routes
      .filter(
        (r) =>
          r.method !== "ALL" &&
          /^\/(api\/|health$|health\/pipeline$|openapi\.json$|docs$|webhooks\/omisell$)/.test(r.path),
      )
      .map((r) => `${r.method} ${r.path.replace(/:([A-Za-z_]+)/g, "{$1}")}`);
    expect(served.length).toBeGreaterThanOrEqual(8);
    for (const route of served) expect(documented, `${route} is not documented`).toContain(route);
    expect(documented.size).toBe(new Set(served).size);
  });

  it("gives every /api operation the bearer scheme, a 401, and a 403 when it needs an admin", async () => {
    const doc = await document();
    const api = operations(doc).filter(({ path }) => path.startsWith("/api/"));
    expect(api.length).toBeGreaterThanOrEqual(5);
    for (const { method, path, op } of api) {
      const where = `${method} ${path}`;
      expect(op.security ?? doc.security, where).toEqual([{ bearerAuth: [] }]);
      expect(Object.keys(op.responses), where).toContain("401");
      if (op["x-required-role"] === "admin") expect(Object.keys(op.responses), where).toContain("403");
      else expect(Object.keys(op.responses), where).not.toContain("403");
    }
  });

  it("documents a 400 for every operation that takes parameters", async () => {
    const doc = await document();
    for (const { method, path, op } of operations(doc)) {
      if ((op.parameters ?? []).length > 0) expect(Object.keys(op.responses), `${method} ${path}`).toContain("400");
    }
  });

  it("documents for each /api operation the statuses a request without a token and one with a read token get", async () => {
    const doc = await document();
    for (const { method, path, op } of operations(doc).filter(({ path }) => path.startsWith("/api/"))) {
      const url = concretePath(path, op);
      const anonymous = await send(method, url, null);
      expect(anonymous.status, `${method} ${url}`).toBe(401);
      const read = await send(method, url, READ_TOKEN);
      expect(Object.keys(op.responses), `${method} ${url} answered ${read.status}`).toContain(String(read.status));
      expect(read.status === 403, `${method} ${url}`).toBe(op["x-required-role"] === "admin");
    }
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

  it("marks /health, /openapi.json and /docs as needing no token, and they answer without one", async () => {
    const doc = await document();
    for (const path of ["/health", "/openapi.json", "/docs"]) {
      expect(doc.paths[path]?.get?.security).toEqual([]);
      expect((await exports.default.fetch(`${BASE}${path}`)).status).toBe(200);
    }
  });

  it("marks replays, reconciliation, a delivery retry and the destinations' changes and the doctor, and only these, as needing an admin token", async () => {
    const doc = await document();
    const admin = operations(doc).filter(({ op }) => op["x-required-role"] === "admin");
    expect(admin.map(({ op }) => op.operationId).sort()).toEqual([
      "changeDestination",
      "createDestination",
      "deleteDestination",
      "getDoctor",
      "pauseDestination",
      "replayEvent",
      "replayEvents",
      "resumeDestination",
      "retryDelivery",
      "retryFailedDeliveries",
      "rotateDestinationSecret",
      "startReconcile",
      "testDestination",
    ]);
    // The doctor is the one admin read: it calls Omisell and sends to the queues.
    expect(admin.filter(({ method }) => method === "get").map(({ op }) => op.operationId)).toEqual(["getDoctor"]);
    const res = await send("post", "/api/events/01JDQ3Z5J8X0K4M2N6P8R0T2V4/replay", ADMIN_TOKEN);
    expect(res.status).toBe(404);
  });
});

/** The fields a component schema documents, and those it marks required, sorted. */
function documented(doc: Doc, component: string): { fields: string[]; required: string[] } {
  const schema = doc.components.schemas[component];
  return { fields: Object.keys(schema?.properties ?? {}).sort(), required: [...(schema?.required ?? [])].sort() };
}

/** Every field of an answer is documented by its component, nothing more, and every required one is there. */
function expectDocumentedExactly(doc: Doc, component: string, answer: unknown) {
  const keys = Object.keys(answer as object).sort();
  const { fields, required } = documented(doc, component);
  expect(keys, component).toEqual(fields);
  expect(keys, component).toEqual(expect.arrayContaining(required));
}

describe("the push endpoint in the reference", () => {
  it("documents POST /webhooks/omisell with its answers and headers, needing no token", async () => {
    const doc = await document();
    const push = doc.paths["/webhooks/omisell"]?.post as Operation & {
      responses: Record<string, { headers?: Record<string, unknown> }>;
    };
    expect(push.operationId).toBe("receivePush");
    expect(push.security).toEqual([]);
    expect(Object.keys(push.responses).sort()).toEqual(["200", "400", "401", "405", "409", "413", "503"]);
    expect(Object.keys(push.responses["200"]?.headers ?? {})).toEqual(["Push-Status", "Push-Event-Id"]);
    expect(push.parameters?.map((p) => `${p.in} ${p.name}`)).toEqual(["header authorization"]);
  });
});

describe("the documented shapes", () => {
  it("are exactly the fields the event list, one event, an order and the change feed answer", async () => {
    const doc = await document();
    const seller = uniqueSeller();
    const stored = await storeEvent({ seller_id: seller, headers: { "user-agent": "test" } });
    const page = await json<{ events: object[] }>(await apiGet(`/api/events?seller_id=${seller}`));
    expectDocumentedExactly(doc, "EventPage", page);
    expectDocumentedExactly(doc, "EventSummary", page.events[0]);
    expectDocumentedExactly(doc, "EventDetail", await json(await apiGet(`/api/events/${stored.id}`)));
    const order = await json<{ events: object[] }>(await apiGet(`/api/orders/${stored.order_number}`));
    expectDocumentedExactly(doc, "OrderView", order);
    expectDocumentedExactly(doc, "EventSummary", order.events[0]);
    const feed = await json<{ changes: object[] }>(await apiGet(`/api/feed?after=${(stored.seq ?? 1) - 1}&limit=1`));
    expectDocumentedExactly(doc, "FeedPage", feed);
    expectDocumentedExactly(doc, "EventSummary", feed.changes[0]);
    expectDocumentedExactly(doc, "Stats", await json(await apiGet("/api/stats")));
  });

  it("are exactly the fields a delivery, a reconciliation run and a replay's progress answer, without settlement", async () => {
    const doc = await document();
    const now = Date.now();
    const eventId = await insertSettledEvent();
    await insertDelivery(eventId, now);
    const deliveries = await json<{ deliveries: object[] }>(await apiGet(`/api/deliveries?event_id=${eventId}`));
    expectDocumentedExactly(doc, "DeliveryPage", deliveries);
    expectDocumentedExactly(doc, "Delivery", deliveries.deliveries[0]);
    expect(documented(doc, "Delivery").fields).not.toContain("settlement");
    const runId = newUlid(now);
    await startRun(env.DB, {
      id: runId,
      trigger: "manual",
      window_from: now - 60_000,
      window_to: now,
      started_at: now,
    });
    const runs = await json<{ runs: object[] }>(await apiGet("/api/reconcile/runs?limit=1"));
    expectDocumentedExactly(doc, "ReconcileRunPage", runs);
    expectDocumentedExactly(doc, "ReconcileRun", runs.runs[0]);
    const replayId = newUlid(now);
    const replay = { id: replayId, filters: '{"status":"failed"}', matched: 0, cursor: null, created_at: now };
    await insertReplay(env.DB, { ...replay, upper_id: newUlid(now + 1) });
    expectDocumentedExactly(doc, "ReplayProgress", await json(await apiGet(`/api/replays/${replayId}`)));
  });

  it("are exactly the fields an archive listing, its objects and a page of events as archive lines answer", async () => {
    const doc = await document();
    const day = ownDay(100);
    await storeOldEvents(day, 1);
    await retain(Date.now());
    const isoDay = new Date(day).toISOString().slice(0, 10);
    const listing = await json<{ objects: object[] }>(await apiGet(`/api/archive?from=${isoDay}&to=${isoDay}`));
    expectDocumentedExactly(doc, "ArchiveListing", listing);
    expectDocumentedExactly(doc, "ArchiveObject", listing.objects[0]);
    await storeEvent({ at: Date.now() - 60_000 });
    const page = await json<{ events: { event: object }[] }>(await apiGet("/api/archive/events?limit=1"));
    expectDocumentedExactly(doc, "ArchiveEventsPage", page);
    expectDocumentedExactly(doc, "ArchiveLine", page.events[0]);
    expectDocumentedExactly(doc, "EventSummary", page.events[0]?.event);
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

  it("links back to the dashboard, and its script shows `code` in descriptions as code", async () => {
    const html = await (await exports.default.fetch(`${BASE}/docs`)).text();
    expect(html).toContain('<a href="/dashboard">← Dashboard</a>');
    const script = await (await exports.default.fetch(`${BASE}/docs/app.js`)).text();
    expect(script).toContain('el("code"');
    expect(script).toContain("x-no-send");
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
