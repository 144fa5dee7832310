/**
 * The route kit every read-API route is declared with: declared schemas are validated before
 * the handler and fail as the one 400 shape, repeated query parameters read their first value,
 * admin routes answer 403 to a read token before validating, and the /docs script is the
 * type-checked client served as its own source.
 */

import { exports } from "cloudflare:workers";
import { createRoute } from "@hono/zod-openapi";
import { Hono } from "hono";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { apiRouter, errorAnswers, firstOfRepeated, jsonAnswer } from "../src/api/route-kit";
import { ErrorBody } from "../src/api/schemas";
import { renderError } from "../src/errors";
import { apiGet, apiPost, BASE, json, READ_TOKEN, storeEvent, uniqueSeller } from "./helpers/read-api";

/** A router with one route declared the way the API's are, mounted under the app's error mapper. */
function exampleApp() {
  const router = apiRouter();
  const route = createRoute({
    method: "get",
    path: "/things/{id}",
    request: {
      params: z.object({ id: z.string().regex(/^\d+$/, "not a number") }),
      query: firstOfRepeated(z.object({ size: z.coerce.number().int().max(10).optional() }).strict()),
    },
    responses: { 200: jsonAnswer(z.object({ id: z.string(), size: z.number() }), "The thing.") },
  });
  router.openapi(route, (c) => c.json({ id: c.req.valid("param").id, size: c.req.valid("query").size ?? 0 }, 200));
  const app = new Hono();
  app.route("/", router);
  app.onError(renderError);
  return app;
}

describe("a route declared with the kit", () => {
  it("hands the handler the validated params and query", async () => {
    const res = await exampleApp().request("/things/7?size=3");
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ id: "7", size: 3 });
  });

  it("answers an invalid path parameter with the one 400 shape naming it", async () => {
    const res = await exampleApp().request("/things/seven");
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({ error: "invalid_request", fields: { id: "not a number" } });
  });

  it("answers an unknown query parameter with a 400 naming it", async () => {
    const res = await exampleApp().request("/things/7?colour=red");
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({ error: "invalid_request", fields: { colour: "unknown parameter" } });
  });

  it("reads the first value of a repeated query parameter", async () => {
    const res = await exampleApp().request("/things/7?size=2&size=99");
    expect(await res.json()).toEqual({ id: "7", size: 2 });
  });

  it("documents each error status with the one error shape", () => {
    const answers = errorAnswers([401, 404], { 404: "No such thing." });
    expect(Object.keys(answers)).toEqual(["401", "404"]);
    expect(answers[404]).toEqual({
      description: "No such thing.",
      content: { "application/json": { schema: ErrorBody } },
    });
  });
});

describe("the read API through the kit", () => {
  it("reads the first value of a repeated limit, as the list always did", async () => {
    const seller = uniqueSeller();
    await storeEvent({ seller_id: seller });
    await storeEvent({ seller_id: seller });
    const res = await apiGet(`/api/events?seller_id=${seller}&limit=1&limit=50`);
    expect(res.status).toBe(200);
    expect((await json<{ events: unknown[] }>(res)).events).toHaveLength(1);
  });

  it("answers a read token's replay with 403 before looking at the id", async () => {
    const res = await apiPost("/api/events/not-an-id/replay", READ_TOKEN);
    expect(res.status).toBe(403);
    expect(await json(res)).toMatchObject({ error: "forbidden" });
  });
});

describe("the /docs script", () => {
  it("is the type-checked client's source, called once, with a no-op for bundler name helpers", async () => {
    const script = await (await exports.default.fetch(`${BASE}/docs/app.js`)).text();
    expect(script).toMatch(/^"use strict";\nvar __name = \(fn\) => fn;\n\(function docsClient\(\)/);
    expect(script.trimEnd().endsWith(")();")).toBe(true);
    expect(script).toContain('fetch("/openapi.json")');
  });
});
