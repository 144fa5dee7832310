/**
 * Token auth: reading Omisell's token answers, renewing with the refresh token, one renewal for
 * many concurrent callers, renewal before expiry and after a 401, and the Durable Object that
 * keeps the token.
 */
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import { readConfig } from "../src/config";
import { ok } from "../src/lib/result";
import { TOKEN_HOLDER_NAME } from "../src/omisell/auth";
import {
  DEFAULT_LIFETIME_MS,
  parseExpiredTime,
  REFRESH_MARGIN_MS,
  readTokenData,
  renewToken,
  type StoredToken,
  TokenKeeper,
} from "../src/omisell/token";
import { envelopeError, noLimiter, stubOmisell } from "./helpers/followup";

afterEach(() => {
  vi.restoreAllMocks();
});

const NOW = Date.parse("2026-11-28T10:00:00Z");

describe("parseExpiredTime", () => {
  it("reads epoch seconds, epoch ms, ISO dates and lifetimes", () => {
    expect(parseExpiredTime(1795860000, NOW)).toBe(1795860000_000);
    expect(parseExpiredTime(1795860000123, NOW)).toBe(1795860000123);
    expect(parseExpiredTime("2026-11-28T11:00:00Z", NOW)).toBe(NOW + 3600_000);
    expect(parseExpiredTime(3600, NOW)).toBe(NOW + 3600_000);
    expect(parseExpiredTime("3600", NOW)).toBe(NOW + 3600_000);
  });

  it("returns null for what it cannot read", () => {
    expect(parseExpiredTime(undefined, NOW)).toBeNull();
    expect(parseExpiredTime("tomorrow", NOW)).toBeNull();
    expect(parseExpiredTime(-5, NOW)).toBeNull();
  });
});

function memoryStore(initial?: StoredToken) {
  let value = initial;
  return {
    get: async () => value,
    put: async (token: StoredToken) => {
      value = token;
    },
    peek: () => value,
  };
}

function issued(token: string, expiresAt = NOW + 3600_000): StoredToken {
  return { token, refreshToken: `r-${token}`, expiresAt };
}

describe("TokenKeeper", () => {
  it("renews once for many concurrent callers", async () => {
    let renewals = 0;
    const keeper = new TokenKeeper(
      memoryStore(),
      async () => {
        renewals += 1;
        await new Promise((r) => setTimeout(r, 20));
        return ok(issued(`t${renewals}`));
      },
      () => NOW,
    );

    const answers = await Promise.all(Array.from({ length: 20 }, () => keeper.getToken()));

    expect(renewals).toBe(1);
    expect(new Set(answers.map((answer) => answer.ok && answer.value))).toEqual(new Set(["t1"]));
  });

  it("hands out the stored token while it is fresh", async () => {
    const renew = vi.fn();
    const keeper = new TokenKeeper(memoryStore(issued("kept")), renew, () => NOW);
    expect(await keeper.getToken()).toEqual(ok("kept"));
    expect(renew).not.toHaveBeenCalled();
  });

  it("renews within REFRESH_MARGIN_MS of expired_time, passing the stored token for its refresh token", async () => {
    const old = issued("old", NOW + REFRESH_MARGIN_MS - 1);
    const renew = vi.fn(async () => ok(issued("new")));
    const store = memoryStore(old);
    const keeper = new TokenKeeper(store, renew, () => NOW);

    expect(await keeper.getToken()).toEqual(ok("new"));
    expect(renew).toHaveBeenCalledWith(old);
    expect(store.peek()?.token).toBe("new");
  });

  it("renews a short-lived token at half its lifetime, not on every call", async () => {
    const renew = vi.fn(async () => ok(issued("new")));
    const shortLived = { ...issued("short", NOW + 60_000), obtainedAt: NOW - 20_000 }; // 80 s lifetime
    expect(await new TokenKeeper(memoryStore(shortLived), renew, () => NOW).getToken()).toEqual({
      ok: true,
      value: "short",
    });
    expect(await new TokenKeeper(memoryStore(shortLived), renew, () => NOW + 21_000).getToken()).toEqual({
      ok: true,
      value: "new",
    });
    expect(renew).toHaveBeenCalledTimes(1);
  });

  it("renews a fresh token the API rejected, once for concurrent reports", async () => {
    const renew = vi.fn(async () => ok(issued("new")));
    const keeper = new TokenKeeper(memoryStore(issued("bad")), renew, () => NOW);

    const answers = await Promise.all([keeper.getToken("bad"), keeper.getToken("bad"), keeper.getToken("bad")]);

    expect(renew).toHaveBeenCalledTimes(1);
    expect(answers.every((answer) => answer.ok && answer.value === "new")).toBe(true);
  });

  it("keeps nothing when the renewal fails, and tries again on the next call", async () => {
    const renew = vi
      .fn()
      .mockResolvedValueOnce({ ok: false, reason: { kind: "retryable", error: "HTTP 503" } })
      .mockResolvedValueOnce(ok(issued("second")));
    const keeper = new TokenKeeper(memoryStore(), renew, () => NOW);

    expect((await keeper.getToken()).ok).toBe(false);
    expect(await keeper.getToken()).toEqual(ok("second"));
  });
});

describe("readTokenData", () => {
  it("takes an answer without expired_time as good for 30 minutes", () => {
    expect(DEFAULT_LIFETIME_MS).toBe(30 * 60_000);
    expect(readTokenData({ token: "t", refresh_token: "r" }, NOW)).toEqual({
      token: "t",
      refreshToken: "r",
      expiresAt: NOW + 30 * 60_000,
      obtainedAt: NOW,
    });
  });

  it("keeps the refresh token it had when a refresh answer carries none", () => {
    expect(readTokenData({ access: "t2", expired_time: 600 }, NOW, "r1")?.refreshToken).toBe("r1");
  });
});

describe("renewToken against the token endpoints", () => {
  const config = readConfig({ OMISELL_API_KEY: "api-key", OMISELL_API_SECRET: "api-secret" }).omisell;
  const connection = {
    base: "https://api.omisell.test",
    timeoutMs: 1000,
    limiter: noLimiter,
    priority: "push" as const,
  };
  const tokenAnswer = (token: string) =>
    Response.json({ data: { token, refresh_token: `r-${token}`, expired_time: 1795860000 }, error: false });

  it("refreshes with the refresh token when there is one", async () => {
    const calls = stubOmisell(() => tokenAnswer("refreshed"));
    const result = await renewToken(connection, config, issued("old"));
    expect(result).toEqual({
      ok: true,
      value: {
        token: "refreshed",
        refreshToken: "r-refreshed",
        expiresAt: 1795860000_000,
        obtainedAt: expect.any(Number),
      },
    });
    expect(calls.map((call) => [call.method, call.url, JSON.parse(call.body ?? "{}")])).toEqual([
      ["POST", "https://api.omisell.test/api/v1/auth/token/refresh/", { refresh: "r-old" }],
    ]);
  });

  it("gets a token with POST /api/v2/auth/token/get/ and the key and secret when there is none yet", async () => {
    const calls = stubOmisell(() => tokenAnswer("first"));
    const result = await renewToken(connection, config, undefined);
    expect(result.ok && result.value.token).toBe("first");
    expect(calls.map((call) => [call.method, call.url, JSON.parse(call.body ?? "{}")])).toEqual([
      ["POST", "https://api.omisell.test/api/v2/auth/token/get/", { api_key: "api-key", api_secret: "api-secret" }],
    ]);
  });

  it.each([
    ["refused with 401", () => new Response("", { status: 401 })],
    ["answered 500", () => new Response("", { status: 500 })],
    ["answered without a token", () => Response.json({ data: {}, error: false })],
    ["an error:true envelope", () => envelopeError(400, "bad refresh")],
    [
      "a network error",
      () => {
        throw new TypeError("connection reset");
      },
    ],
  ])("gets a new token with the API key when the refresh is %s", async (_name, refreshAnswer) => {
    const calls = stubOmisell((call) => (call.url.includes("/refresh/") ? refreshAnswer() : tokenAnswer("fresh")));
    const result = await renewToken(connection, config, issued("old"));
    expect(result.ok && result.value.token).toBe("fresh");
    expect(calls[1]?.url).toBe("https://api.omisell.test/api/v2/auth/token/get/");
    expect(JSON.parse(calls[1]?.body ?? "{}")).toEqual({ api_key: "api-key", api_secret: "api-secret" });
  });

  it("says which variable is missing when there is no API key", async () => {
    stubOmisell(() => tokenAnswer("unused"));
    const result = await renewToken(connection, readConfig({}).omisell, undefined);
    expect(result.ok || result.reason).toMatchObject({
      kind: "permanent",
      error: expect.stringContaining("OMISELL_API_KEY"),
    });
  });
});

describe("the OmisellTokenHolder Durable Object", () => {
  it("serves the token kept in its storage without calling the API", async () => {
    const stub = env.OMISELL_TOKEN.get(env.OMISELL_TOKEN.idFromName(`${TOKEN_HOLDER_NAME}-test-kept`));
    const calls = stubOmisell(() => new Response("", { status: 500 }));
    await runInDurableObject(stub, async (_instance, state) => {
      await state.storage.put("token", issued("durable", Date.now() + 3600_000));
    });

    expect(await stub.getToken()).toEqual(ok("durable"));
    expect(calls).toHaveLength(0);
  });

  it("answers a readable failure when it cannot obtain a token", async () => {
    const stub = env.OMISELL_TOKEN.get(env.OMISELL_TOKEN.idFromName(`${TOKEN_HOLDER_NAME}-test-empty`));
    const answer = await stub.getToken();
    expect(answer.ok || answer.reason.error).toContain("OMISELL_API_KEY is not set");
  });
});
