/**
 * Dashboard sessions: the cookie holds a sealed session (role, expiry, id, token fingerprint),
 * never any form of the token; a tampered, expired or orphaned session is signed out; the CSRF
 * token comes from the session; failed sign-ins are limited per client address.
 */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { sessionSettings } from "../src/auth/session";
import { openSession, SESSION_TTL_MS, sealSession } from "../src/auth/session-seal";
import { clientAddressKey, MAX_FAILED_SIGN_INS } from "../src/auth/sign-in-guard";
import { hmacSha256Hex, sha256 } from "../src/lib/crypto";
import { toHex } from "../src/lib/hex";
import { fetchWithEnv } from "./helpers/push";
import { ADMIN_TOKEN, BASE, READ_TOKEN, storeEvent } from "./helpers/read-api";
import { postSignIn, SESSION_COOKIE, sessionValueOf } from "./helpers/session";

const KNOWN_SECRET = "a-session-secret-the-test-knows-0123456789";
/** A deployment with SESSION_SECRET set, so a session outlives changes of the token lists. */
const WITH_SECRET = { SESSION_SECRET: KNOWN_SECRET };

const app = { fetch: (request: Request) => fetchWithEnv(request, WITH_SECRET) };

function withVars(vars: Record<string, string>) {
  return { fetch: (request: Request) => fetchWithEnv(request, { ...WITH_SECRET, ...vars }) };
}

async function signIn(token: string, target = app): Promise<string> {
  const res = await postSignIn(token, undefined, target);
  expect(res.status).toBe(303);
  return sessionValueOf(res) as string;
}

function dashboard(value: string, target = app, path = "/dashboard") {
  return target.fetch(
    new Request(`${BASE}${path}`, { headers: { cookie: `${SESSION_COOKIE}=${value}` }, redirect: "manual" }),
  );
}

const signedOut = (res: Response) => res.status === 303 && res.headers.get("location") === "/dashboard/sign-in";

function encodings(bytes: Uint8Array): string[] {
  const base64 = btoa(String.fromCharCode(...bytes));
  const base64url = base64.replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
  // Whole, and the first 8 bytes: a truncated hash is still a form of the token.
  const prefix = bytes.slice(0, 8);
  const prefix64 = btoa(String.fromCharCode(...prefix)).replace(/=+$/, "");
  return [toHex(bytes), toHex(bytes).toUpperCase(), base64, base64url, toHex(prefix), prefix64];
}

describe("the session cookie", () => {
  it("holds no form of the token: not the token, its SHA-256 or its HMAC under a known key, in hex or base64", async () => {
    for (const [token, target] of [
      [ADMIN_TOKEN, app],
      [READ_TOKEN, { fetch: (request: Request) => fetchWithEnv(request, {}) }],
    ] as const) {
      const res = await postSignIn(token, undefined, target);
      const cookie = res.headers.get("set-cookie") ?? "";
      expect(cookie).toContain(`${SESSION_COOKIE}=`);
      const forms = [
        token,
        encodeURIComponent(token),
        btoa(token),
        ...encodings(new Uint8Array(await sha256(token))),
        ...encodings(
          Uint8Array.from((await hmacSha256Hex(KNOWN_SECRET, token)).match(/../g) ?? [], (h) => Number.parseInt(h, 16)),
        ),
      ];
      for (const form of forms) expect(cookie.includes(form), `${token}: ${form}`).toBe(false);
    }
  });

  it("says the role, the expiry 12 hours ahead, a fresh session id, and opens only with the deployment's key", async () => {
    const before = Date.now();
    const first = await signIn(ADMIN_TOKEN);
    const second = await signIn(ADMIN_TOKEN);
    const [version, role, expires, id] = first.split(".");
    expect([version, role]).toEqual(["1", "admin"]);
    expect(Number(expires)).toBeGreaterThanOrEqual(before + SESSION_TTL_MS);
    expect(Number(expires)).toBeLessThanOrEqual(Date.now() + SESSION_TTL_MS);
    expect(second.split(".")[3]).not.toBe(id);
    const settings = { ...sessionSettings(env), secret: KNOWN_SECRET };
    expect(await openSession(settings, first, Date.now())).toMatchObject({ role: "admin", id });
    expect(await openSession({ ...settings, secret: `${KNOWN_SECRET}-other` }, first, Date.now())).toBeNull();
  });

  it("signs a tampered session out: another role, a later expiry, another id, another signature", async () => {
    const value = await signIn(READ_TOKEN);
    expect((await dashboard(value)).status).toBe(200);
    const parts = value.split(".");
    const tampered = [
      ["1", "admin", ...parts.slice(2)],
      [...parts.slice(0, 2), String(Number(parts[2]) + 3_600_000), ...parts.slice(3)],
      [...parts.slice(0, 3), "0".repeat(32), ...parts.slice(4)],
      [...parts.slice(0, 5), `${(parts[5] as string).slice(0, -1)}${parts[5]?.endsWith("0") ? "1" : "0"}`],
      [...parts.slice(0, 5)],
    ];
    for (const forged of tampered) expect(signedOut(await dashboard(forged.join("."))), forged.join(".")).toBe(true);
  });

  it("signs an expired session out", async () => {
    const settings = { ...sessionSettings(env), secret: KNOWN_SECRET };
    const expired = await sealSession(settings, READ_TOKEN, "read", Date.now() - SESSION_TTL_MS - 1000);
    const fresh = await sealSession(settings, READ_TOKEN, "read", Date.now() - SESSION_TTL_MS + 60_000);
    expect(signedOut(await dashboard(expired))).toBe(true);
    expect((await dashboard(fresh)).status).toBe(200);
  });

  it("ends when its token is removed from the configuration", async () => {
    const value = await signIn(READ_TOKEN);
    expect((await dashboard(value, withVars({ READ_API_TOKENS: `other-read-token,${READ_TOKEN}` }))).status).toBe(200);
    expect(signedOut(await dashboard(value, withVars({ READ_API_TOKENS: "other-read-token" })))).toBe(true);
  });

  it("loses admin when its token is moved from the admin tokens to the read tokens", async () => {
    const value = await signIn(ADMIN_TOKEN);
    const moved = withVars({
      ADMIN_API_TOKENS: "another-admin-token",
      READ_API_TOKENS: `${READ_TOKEN},${ADMIN_TOKEN}`,
    });
    expect(signedOut(await dashboard(value, moved))).toBe(true);
    expect((await dashboard(value)).status).toBe(200);
  });

  it("without SESSION_SECRET, is sealed with a key derived from the tokens: any change of a token list ends it", async () => {
    const plain = { fetch: (request: Request) => fetchWithEnv(request, {}) };
    const value = await signIn(READ_TOKEN, plain);
    expect((await dashboard(value, plain)).status).toBe(200);
    const added = {
      fetch: (request: Request) => fetchWithEnv(request, { READ_API_TOKENS: `${READ_TOKEN},new-token` }),
    };
    expect(signedOut(await dashboard(value, added))).toBe(true);
    // A session sealed without the secret does not open on a deployment that has one.
    expect(signedOut(await dashboard(value, app))).toBe(true);
  });

  it("clears the cookie of earlier versions, which held the token itself, and never reads it", async () => {
    const res = await app.fetch(
      new Request(`${BASE}/dashboard`, { headers: { cookie: `omisell_session=${READ_TOKEN}` }, redirect: "manual" }),
    );
    expect(signedOut(res)).toBe(true);
    expect(res.headers.get("set-cookie")).toMatch(/^omisell_session=; Max-Age=0; Path=\/dashboard;/);
    const fresh = await app.fetch(new Request(`${BASE}/dashboard/sign-in`));
    expect(fresh.headers.get("set-cookie")).toBeNull();
  });

  it("answers 503 naming SESSION_SECRET when it is too short to be a key", async () => {
    const res = await postSignIn(READ_TOKEN, undefined, {
      fetch: (request: Request) => fetchWithEnv(request, { SESSION_SECRET: "short" }),
    });
    expect(res.status).toBe(503);
    expect(await res.json()).toMatchObject({ error: "not_configured", message: "invalid: SESSION_SECRET" });
  });
});

describe("the form token comes from the session", () => {
  async function formTokenOf(value: string): Promise<string> {
    const html = await (await dashboard(value)).text();
    return /name="csrf" value="([0-9a-f]+)"/.exec(html)?.[1] as string;
  }

  function replay(eventId: string, value: string, csrf: string) {
    return app.fetch(
      new Request(`${BASE}/dashboard/events/${eventId}/replay`, {
        method: "POST",
        headers: {
          cookie: `${SESSION_COOKIE}=${value}`,
          origin: BASE,
          "content-type": "application/x-www-form-urlencoded",
        },
        body: new URLSearchParams({ csrf }),
        redirect: "manual",
      }),
    );
  }

  it("differs between two sessions of one token, and one session's token does not work for the other", async () => {
    const a = await signIn(ADMIN_TOKEN);
    const b = await signIn(ADMIN_TOKEN);
    const [csrfA, csrfB] = [await formTokenOf(a), await formTokenOf(b)];
    expect(csrfA).toMatch(/^[0-9a-f]{64}$/);
    expect(csrfA).not.toBe(csrfB);
    const event = await storeEvent({ status: "failed" });
    expect((await replay(event.id, b, csrfA)).status).toBe(403);
    expect((await replay(event.id, a, csrfA)).status).toBe(303);
  });

  it("is no key for a read session: its own form token does not make a replay", async () => {
    const value = await signIn(READ_TOKEN);
    const event = await storeEvent({ status: "failed" });
    const res = await replay(event.id, value, await formTokenOf(value));
    expect(res.status).toBe(403);
    const row = await env.DB.prepare("SELECT status FROM events WHERE id = ?1").bind(event.id).first();
    expect(row).toEqual({ status: "failed" });
  });
});

describe("failed sign-ins are limited per client address", () => {
  it(`answers the ${MAX_FAILED_SIGN_INS + 1}th failed sign-in from one address 429 with Retry-After, the right token too; another address is unaffected`, async () => {
    const address = "198.51.100.23";
    for (let i = 1; i <= MAX_FAILED_SIGN_INS; i++) {
      const res = await postSignIn(`wrong-token-${i}`, address);
      expect(res.status, `attempt ${i}`).toBe(401);
    }
    const limited = await postSignIn("wrong-token-11", address);
    expect(limited.status).toBe(429);
    const retryAfter = Number(limited.headers.get("retry-after"));
    expect(retryAfter).toBeGreaterThan(14 * 60);
    expect(retryAfter).toBeLessThanOrEqual(15 * 60);
    expect(await limited.text()).toContain("Too many failed sign-ins");
    const right = await postSignIn(ADMIN_TOKEN, address);
    expect(right.status).toBe(429);
    expect(sessionValueOf(right)).toBeNull();

    expect((await postSignIn("wrong-token", "198.51.100.24")).status).toBe(401);
    expect((await postSignIn(ADMIN_TOKEN, "198.51.100.24")).status).toBe(303);
  });

  it("does not count successful sign-ins", async () => {
    const address = "198.51.100.40";
    for (let i = 0; i < MAX_FAILED_SIGN_INS + 2; i++) expect((await postSignIn(READ_TOKEN, address)).status).toBe(303);
    expect((await postSignIn("wrong", address)).status).toBe(401);
  });

  it("counts an IPv6 client by its /64", async () => {
    expect(clientAddressKey("2001:db8:aa:bb:1:2:3:4")).toBe("2001:db8:aa:bb::/64");
    expect(clientAddressKey("2001:DB8:AA:BB::9")).toBe("2001:db8:aa:bb::/64");
    expect(clientAddressKey("2001:db8::1")).toBe("2001:db8:0:0::/64");
    expect(clientAddressKey("203.0.113.5")).toBe("203.0.113.5");
    expect(clientAddressKey(null)).toBe("loopback");
    for (let i = 1; i <= MAX_FAILED_SIGN_INS; i++) await postSignIn(`wrong-${i}`, `2001:db8:77:1::${i}`);
    expect((await postSignIn("wrong", "2001:db8:77:1:ffff::1")).status).toBe(429);
    expect((await postSignIn("wrong", "2001:db8:77:2::1")).status).toBe(401);
  });
});
