/**
 * Secrets and access. No secret, token or signature appears in any answer or log line while
 * pushes, follow-ups, API and dashboard requests run; every /api and /dashboard route (taken from
 * the app's own route table and the OpenAPI document) refuses missing and wrong tokens; and the
 * signature and token checks are constant-time by construction (WebCrypto `verify`, and
 * `timingSafeEqual` over equal-length digests).
 */
import { env, exports } from "cloudflare:workers";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { app } from "../src/app";
import { setLogLevel } from "../src/lib/log";
import { signPush } from "../src/push/signature";
import { deliver, orderAnswer, stubOmisell } from "./helpers/followup";
import { CALLBACK_URL, PUSH_SECRET, samplePush, sendPush, toBytes } from "./helpers/push";
import { SESSION_COOKIE, sessionCookie } from "./helpers/session";

const ORIGIN = new URL(CALLBACK_URL).origin;
const READ_TOKEN = "test-read-token";
const ADMIN_TOKEN = "test-admin-token";
const ACCOUNT_KEY = "test-account-key";
/** Tokens an attacker tries: they must not be echoed into logs either. */
const WRONG_TOKENS = ["wrong-token-5f2a", "test-read-tokenX", "test-read-toke", `Bearer ${READ_TOKEN}`];

type Captured = { source: string; text: string };
let captured: Captured[] = [];

beforeEach(() => {
  setLogLevel("debug");
  captured = [];
  for (const level of ["log", "info", "warn", "error", "debug"] as const) {
    vi.spyOn(console, level).mockImplementation((...args: unknown[]) => {
      captured.push({
        source: `console.${level}`,
        text: args.map((a) => (typeof a === "string" ? a : JSON.stringify(a))).join(" "),
      });
    });
  }
});
afterEach(() => {
  setLogLevel("silent");
  vi.restoreAllMocks();
});

async function capture(res: Response, label: string) {
  const headers = [...res.headers.entries()].map(([name, value]) => `${name}: ${value}`).join("\n");
  captured.push({ source: `${label} (${res.status})`, text: `${headers}\n${await res.text()}` });
  return res.status;
}

function expectNoSecretIn(secrets: string[], options: { logsExpected?: boolean } = {}) {
  expect(captured.length).toBeGreaterThan(0);
  // The worker's log lines must really have been captured, or the check below proves nothing.
  if (options.logsExpected !== false) expect(captured.some((c) => c.source.startsWith("console."))).toBe(true);
  for (const { source, text } of captured) {
    for (const secret of secrets) {
      expect(text.includes(secret), `${source} contains ${secret.slice(0, 12)}…: ${text.slice(0, 300)}`).toBe(false);
    }
  }
}

function request(path: string, init: RequestInit = {}) {
  return exports.default.fetch(new Request(`${ORIGIN}${path}`, init));
}

describe("no secret in answers or logs", () => {
  it("pushes, signed, unsigned and forged, leak neither the push secret nor any signature", async () => {
    const signatures: string[] = [];
    for (const push of [samplePush("order.created"), samplePush("shipment.delivered"), samplePush("not.an.event")]) {
      const signature = await signPush(PUSH_SECRET, CALLBACK_URL, toBytes(push));
      signatures.push(signature);
      await capture(await sendPush(push), "signed push");
      await capture(await sendPush(push), "duplicate push");
    }
    const forged = await signPush("guessed-secret", CALLBACK_URL, toBytes(samplePush()));
    signatures.push(forged);
    await capture(await sendPush(samplePush(), { authorization: forged }), "forged push");
    await capture(await sendPush("{not json", {}), "invalid signed push");
    await capture(await sendPush(samplePush(), { authorization: null }), "unsigned push");
    await capture(await sendPush(samplePush(), { authorization: `Bearer ${READ_TOKEN}` }), "push with a token");
    expectNoSecretIn([PUSH_SECRET, ...signatures, READ_TOKEN]);
  });

  it("read API answers and logs carry no token, right or wrong", async () => {
    const res = await sendPush(samplePush("order.created"));
    const id = res.headers.get("Push-Event-Id") as string;
    for (const token of [READ_TOKEN, ADMIN_TOKEN, ...WRONG_TOKENS]) {
      const auth = { authorization: `Bearer ${token}` };
      await capture(await request("/api/events?limit=5", { headers: auth }), "list");
      await capture(await request(`/api/events/${id}`, { headers: auth }), "event");
      await capture(await request("/api/stats", { headers: auth }), "stats");
      await capture(await request(`/api/events/${id}/replay`, { method: "POST", headers: auth }), "replay");
    }
    await capture(await request("/openapi.json"), "openapi");
    expectNoSecretIn([READ_TOKEN, ADMIN_TOKEN, ACCOUNT_KEY, PUSH_SECRET, ...WRONG_TOKENS], { logsExpected: false });
  });

  it("the dashboard echoes no token, not even into its HttpOnly session cookie", async () => {
    for (const token of [READ_TOKEN, ...WRONG_TOKENS]) {
      const res = await request("/dashboard/sign-in", {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded", origin: ORIGIN },
        body: `token=${encodeURIComponent(token)}`,
        redirect: "manual",
      });
      const cookie = res.headers.get("set-cookie");
      if (cookie) expect(cookie).toMatch(/HttpOnly/i);
      await capture(res, "sign-in");
    }
    const cookie = await sessionCookie(READ_TOKEN);
    for (const path of ["/dashboard", "/dashboard?status=failed", "/dashboard/sign-in"]) {
      await capture(await request(path, { headers: { cookie }, redirect: "manual" }), path);
    }
    expectNoSecretIn([READ_TOKEN, ADMIN_TOKEN, ACCOUNT_KEY, PUSH_SECRET, ...WRONG_TOKENS]);
  });

  it("the follow-up logs neither the Omisell account key nor its Authorization header", async () => {
    const push = samplePush("order.shipped");
    const res = await sendPush(push);
    const eventId = res.headers.get("Push-Event-Id") as string;
    const calls = stubOmisell((call) =>
      call.url.includes("fail") ? new Response("boom", { status: 500 }) : orderAnswer(push.data.omisell_order_number),
    );
    await deliver([{ eventId }]);
    const failing = await sendPush(samplePush("order.shipped", { data: { omisell_order_number: "OM-fail" } }));
    await deliver([{ eventId: failing.headers.get("Push-Event-Id") as string }]);
    // The key really was sent to Omisell, so its absence from the logs means something.
    expect(calls.some((call) => call.headers.get("authorization")?.includes(ACCOUNT_KEY))).toBe(true);
    captured.push({
      source: "stored events",
      text: JSON.stringify(await env.DB.prepare("SELECT * FROM events").all()),
    });
    expectNoSecretIn([ACCOUNT_KEY, `Account ${ACCOUNT_KEY}`, PUSH_SECRET]);
  });
});

type Route = { method: string; path: string };

/** Every concrete route of the app under /api and /dashboard, from Hono's own table. */
function protectedRoutes(): Route[] {
  const seen = new Map<string, Route>();
  for (const route of app.routes) {
    if (!/^\/(api|dashboard)(\/|$)/.test(route.path) || route.path.includes("*") || route.method === "ALL") continue;
    seen.set(`${route.method} ${route.path}`, { method: route.method, path: route.path });
  }
  return [...seen.values()];
}

/** Public by design: the sign-in page itself, and static assets (styles, icon) that hold no data. */
function isPublic(route: Route): boolean {
  return route.path === "/dashboard/sign-in" || (route.method === "GET" && /\.(css|svg|js|ico)$/.test(route.path));
}

function concrete(path: string): string {
  return path.replace(":id", "01ARZ3NDEKTSV4RRFFQ69G5FAV").replace(":omisell_order_number", "OM2411280001");
}

describe("every /api and /dashboard route refuses missing and wrong tokens", () => {
  const routes = protectedRoutes().filter((r) => !isPublic(r));

  it("finds the routes the OpenAPI document lists, and the dashboard's", async () => {
    const doc = (await (await request("/openapi.json")).json()) as { paths: Record<string, Record<string, unknown>> };
    const documented = Object.entries(doc.paths).flatMap(([path, ops]) =>
      Object.keys(ops).map((method) => `${method.toUpperCase()} ${path.replace(/\{(\w+)\}/g, ":$1")}`),
    );
    const known = new Set(protectedRoutes().map((r) => `${r.method} ${r.path}`));
    for (const op of documented.filter((op) => op.includes(" /api"))) expect(known).toContain(op);
    expect(routes.filter((r) => r.path.startsWith("/dashboard")).length).toBeGreaterThan(0);
    expect(routes.filter((r) => r.path.startsWith("/api")).length).toBeGreaterThanOrEqual(5);
  });

  const CREDENTIALS: { name: string; headers: Record<string, string> }[] = [
    { name: "no credentials", headers: {} },
    { name: "a wrong bearer token", headers: { authorization: "Bearer wrong-token-5f2a" } },
    { name: "an empty bearer token", headers: { authorization: "Bearer " } },
    { name: "a prefix of the real token", headers: { authorization: `Bearer ${READ_TOKEN.slice(0, -1)}` } },
    { name: "the real token with a suffix", headers: { authorization: `Bearer ${READ_TOKEN}x` } },
    { name: "the real token in another scheme", headers: { authorization: `Token ${READ_TOKEN}` } },
    { name: "the push secret as a token", headers: { authorization: `Bearer ${PUSH_SECRET}` } },
    { name: "a wrong session cookie", headers: { cookie: `${SESSION_COOKIE}=wrong-token-5f2a` } },
    { name: "the real token as the session cookie", headers: { cookie: `${SESSION_COOKIE}=${READ_TOKEN}` } },
  ];

  for (const credentials of CREDENTIALS) {
    it(`refuses ${credentials.name} on every route`, async () => {
      for (const route of routes) {
        const res = await request(concrete(route.path), {
          method: route.method,
          headers: { ...credentials.headers, origin: ORIGIN, "content-type": "application/x-www-form-urlencoded" },
          body: route.method === "POST" ? "csrf=x" : undefined,
          redirect: "manual",
        });
        const label = `${route.method} ${route.path}`;
        const body = await res.text();
        if (route.path.startsWith("/api")) {
          expect(res.status, label).toBe(401);
          expect(JSON.parse(body), label).toEqual({ error: "unauthorized" });
        } else if (route.method === "GET") {
          expect(res.status, label).toBe(303);
          expect(res.headers.get("location"), label).toBe("/dashboard/sign-in");
        } else {
          expect(res.status, label).toBe(401);
        }
      }
    });
  }

  it("serves only static assets without a token, and none of them is JSON or HTML", async () => {
    for (const route of protectedRoutes().filter((r) => isPublic(r) && r.path !== "/dashboard/sign-in")) {
      const res = await request(route.path);
      expect(res.headers.get("content-type"), route.path).toMatch(/^(text\/css|image\/|text\/javascript)/);
    }
  });

  it("does not take a bearer token from the query string or a session cookie on /api", async () => {
    for (const route of routes.filter((r) => r.path.startsWith("/api"))) {
      const viaQuery = await request(`${concrete(route.path)}?token=${READ_TOKEN}&access_token=${READ_TOKEN}`, {
        method: route.method,
      });
      expect(viaQuery.status, route.path).toBe(401);
      const viaCookie = await request(concrete(route.path), {
        method: route.method,
        headers: { cookie: await sessionCookie(ADMIN_TOKEN) },
      });
      expect(viaCookie.status, route.path).toBe(401);
    }
  });

  it("refuses a replay with a read token: 403 forbidden", async () => {
    const res = await request("/api/events/01ARZ3NDEKTSV4RRFFQ69G5FAV/replay", {
      method: "POST",
      headers: { authorization: `Bearer ${READ_TOKEN}` },
    });
    expect(res.status).toBe(403);
    expect(await res.json()).toMatchObject({ error: "forbidden" });
  });
});

describe("constant-time checks, by construction", () => {
  it("verifies push signatures with WebCrypto HMAC verify, also for a wrong signature", async () => {
    const verify = vi.spyOn(crypto.subtle, "verify");
    await sendPush(samplePush());
    await sendPush(samplePush(), { authorization: "0".repeat(64) });
    const hmacCalls = verify.mock.calls.filter(
      ([algorithm]) => algorithm === "HMAC" || (algorithm as { name?: string }).name === "HMAC",
    );
    expect(hmacCalls.length).toBeGreaterThanOrEqual(2);
  });

  it("compares bearer tokens with timingSafeEqual over 32-byte digests, against every configured token", async () => {
    const equal = vi.spyOn(crypto.subtle, "timingSafeEqual");
    for (const token of ["short", "t".repeat(4096), READ_TOKEN]) {
      equal.mockClear();
      await request("/api/stats", { headers: { authorization: `Bearer ${token}` } });
      // One read token and one admin token are configured: both are always compared.
      expect(equal.mock.calls.length, token.slice(0, 10)).toBeGreaterThanOrEqual(2);
      for (const [a, b] of equal.mock.calls) {
        expect((a as ArrayBuffer).byteLength).toBe(32);
        expect((b as ArrayBuffer).byteLength).toBe(32);
      }
    }
  });

  it("checks a dashboard session cookie's seal with timingSafeEqual over equal lengths", async () => {
    const real = (await sessionCookie(READ_TOKEN)).split("=")[1] as string;
    // The real session with its last signature byte changed: well-formed, so its seal is checked.
    const forged = `${real.slice(0, -2)}${real.endsWith("00") ? "01" : "00"}`;
    const equal = vi.spyOn(crypto.subtle, "timingSafeEqual");
    const res = await request("/dashboard", { headers: { cookie: `${SESSION_COOKIE}=${forged}` }, redirect: "manual" });
    expect(res.status).toBe(303);
    expect(equal.mock.calls.length).toBeGreaterThanOrEqual(1);
    for (const [a, b] of equal.mock.calls) expect((a as ArrayBuffer).byteLength).toBe((b as ArrayBuffer).byteLength);
    // A good seal goes on to the token's fingerprint, compared the same way.
    equal.mockClear();
    const ok = await request("/dashboard/sign-in", {
      headers: { cookie: `${SESSION_COOKIE}=${real}` },
      redirect: "manual",
    });
    expect(ok.status).toBe(303);
    expect(equal.mock.calls.length).toBeGreaterThanOrEqual(2);
    for (const [a, b] of equal.mock.calls) expect((a as ArrayBuffer).byteLength).toBe((b as ArrayBuffer).byteLength);
  });
});
