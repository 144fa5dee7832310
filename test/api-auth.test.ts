/**
 * Who may call the read API: bearer tokens from READ_API_TOKENS / ADMIN_API_TOKENS, compared in
 * constant time; 401 without one, 403 for a read token on replay; CORS only when configured.
 */
import { env, exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { app } from "../src/app";
import { bearerToken, roleOfToken } from "../src/auth/tokens";
import { equalsOneOf } from "../src/lib/crypto";
import { ADMIN_TOKEN, apiGet, apiPost, BASE, json, READ_TOKEN, storeEvent } from "./helpers/read-api";

const DATA_ROUTES = ["/api/events", "/api/events/01JDQ3Z5J8X0K4M2N6P8R0T2V4", "/api/orders/OM1", "/api/stats"];

describe("bearer tokens", () => {
  it.each(DATA_ROUTES)("GET %s without a token is 401 unauthorized", async (path) => {
    const res = await apiGet(path, null);
    expect(res.status).toBe(401);
    expect(await res.json()).toEqual({ error: "unauthorized" });
    expect(res.headers.get("WWW-Authenticate")).toContain("Bearer");
  });

  it("a wrong token is 401", async () => {
    expect((await apiGet("/api/stats", "not-a-token")).status).toBe(401);
  });

  it("a token given in another scheme than Bearer is 401", async () => {
    const res = await exports.default.fetch(
      new Request(`${BASE}/api/stats`, { headers: { authorization: `Basic ${READ_TOKEN}` } }),
    );
    expect(res.status).toBe(401);
  });

  it("a read token reads", async () => {
    expect((await apiGet("/api/events?limit=1", READ_TOKEN)).status).toBe(200);
  });

  it("an admin token reads too", async () => {
    expect((await apiGet("/api/stats", ADMIN_TOKEN)).status).toBe(200);
  });

  it("an unknown path under /api is 401 without a token, not a hint of what exists", async () => {
    expect((await apiGet("/api/nothing-here", null)).status).toBe(401);
  });
});

describe("replay permissions", () => {
  it("a read token may not replay: 403 forbidden, event untouched", async () => {
    const row = await storeEvent({ status: "failed", last_error: "HTTP 500" });
    const res = await apiPost(`/api/events/${row.id}/replay`, READ_TOKEN);
    expect(res.status).toBe(403);
    expect(await json(res)).toMatchObject({ error: "forbidden" });
    const after = await env.DB.prepare("SELECT status FROM events WHERE id = ?").bind(row.id).first();
    expect(after).toEqual({ status: "failed" });
  });

  it("an admin token replays: 202 and the event is received again", async () => {
    const row = await storeEvent({ status: "failed", last_error: "HTTP 500" });
    const res = await apiPost(`/api/events/${row.id}/replay`, ADMIN_TOKEN);
    expect(res.status).toBe(202);
    expect(await res.json()).toEqual({ event_id: row.id, status: "queued" });
    const after = await env.DB.prepare("SELECT status FROM events WHERE id = ?").bind(row.id).first();
    expect(after).toEqual({ status: "received" });
  });

  it("replaying an event that does not exist is 404", async () => {
    const res = await apiPost("/api/events/01JDQ3Z5J8X0K4M2N6P8R0T2V4/replay", ADMIN_TOKEN);
    expect(res.status).toBe(404);
    expect(await json(res)).toMatchObject({ error: "not_found" });
  });

  it("replaying an invalid push is 409: there is nothing to follow up", async () => {
    const row = await storeEvent({ status: "invalid", category: "invalid", event: null, payload: "not json" });
    const res = await apiPost(`/api/events/${row.id}/replay`, ADMIN_TOKEN);
    expect(res.status).toBe(409);
    expect(await json(res)).toMatchObject({ error: "not_replayable" });
  });

  it("replay without a token is 401", async () => {
    expect((await apiPost("/api/events/01JDQ3Z5J8X0K4M2N6P8R0T2V4/replay", null)).status).toBe(401);
  });
});

describe("token comparison", () => {
  it("matches a listed token and nothing else, whatever the lengths", async () => {
    expect(await equalsOneOf("abc", ["x", "abc"])).toBe(true);
    expect(await equalsOneOf("abcd", ["abc"])).toBe(false);
    expect(await equalsOneOf("ab", ["abc"])).toBe(false);
    expect(await equalsOneOf("abc", [])).toBe(false);
  });

  it("an admin token outranks the same token in the read list", async () => {
    expect(await roleOfToken({ readTokens: ["t"], adminTokens: ["t"] }, "t")).toBe("admin");
    expect(await roleOfToken({ readTokens: ["t"], adminTokens: [] }, "t")).toBe("read");
    expect(await roleOfToken({ readTokens: [], adminTokens: [] }, "")).toBeNull();
  });

  it("reads the token of a Bearer header only", () => {
    expect(bearerToken("Bearer abc")).toBe("abc");
    expect(bearerToken("bearer  abc ")).toBe("abc");
    expect(bearerToken("Basic abc")).toBeNull();
    expect(bearerToken("Bearer a b")).toBeNull();
    expect(bearerToken(undefined)).toBeNull();
  });
});

describe("CORS", () => {
  const preflight = (origin: string) =>
    new Request(`${BASE}/api/events`, {
      method: "OPTIONS",
      headers: { origin, "access-control-request-method": "GET", "access-control-request-headers": "authorization" },
    });

  it("sends no CORS headers unless CORS_ORIGINS is set", async () => {
    const res = await apiGet("/api/stats", READ_TOKEN, { origin: "https://app.example.com" });
    expect(res.status).toBe(200);
    expect(res.headers.get("Access-Control-Allow-Origin")).toBeNull();
  });

  it("answers a preflight from a configured origin, and only that origin", async () => {
    const withCors = { ...env, CORS_ORIGINS: "https://app.example.com" };
    const allowed = await app.fetch(preflight("https://app.example.com"), withCors);
    expect(allowed.status).toBe(204);
    expect(allowed.headers.get("Access-Control-Allow-Origin")).toBe("https://app.example.com");
    expect(allowed.headers.get("Access-Control-Allow-Headers")?.toLowerCase()).toContain("authorization");
    const other = await app.fetch(preflight("https://evil.example.com"), withCors);
    expect(other.headers.get("Access-Control-Allow-Origin")).toBeNull();
  });
});
