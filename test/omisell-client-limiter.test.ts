/**
 * Every Omisell call goes through the rate limiter: the client asks for a slot, waits or hands
 * back "throttled", reports Omisell's call-limit header and a 429's pause; and the
 * OmisellRateLimiter object keeps its bucket across a restart.
 */
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import { readConfig } from "../src/config";
import type { CallReport, Priority, SlotAnswer } from "../src/omisell/bucket";
import { type OmisellConnection, requestOmisell } from "../src/omisell/client";
import { omisellConnection } from "../src/omisell/connection";
import { limiterName, type OmisellLimiter } from "../src/omisell/limiter-handle";
import { OmisellRateLimiter } from "../src/omisell/limiter-object";
import { renewToken } from "../src/omisell/token";
import { envelopeError, orderAnswer, stubOmisell } from "./helpers/followup";

afterEach(() => {
  vi.restoreAllMocks();
});

/** A limiter answering from a script, recording what it was asked and told. */
function scriptedLimiter(answers: SlotAnswer[]) {
  const asked: Priority[] = [];
  const reports: CallReport[] = [];
  const limiter: OmisellLimiter = {
    acquire: async (priority) => {
      asked.push(priority);
      return answers.shift() ?? { go: true };
    },
    report: async (call) => {
      reports.push(call);
    },
  };
  return { limiter, asked, reports };
}

function connectionWith(limiter: OmisellLimiter, priority: Priority = "push"): OmisellConnection {
  return { base: "https://api.omisell.test", timeoutMs: 1000, limiter, priority };
}

describe("the client and the limiter", () => {
  it("asks for a slot at the connection's priority before calling", async () => {
    const { limiter, asked } = scriptedLimiter([]);
    stubOmisell(() => orderAnswer("OM1"));
    await requestOmisell(connectionWith(limiter, "replay"), "/api/v2/public/order/OM1");
    expect(asked).toEqual(["replay"]);
  });

  it("hands back a throttled failure without calling Omisell when the wait is long", async () => {
    const { limiter } = scriptedLimiter([{ go: false, waitMs: 42_000 }]);
    const calls = stubOmisell(() => orderAnswer("OM1"));
    const result = await requestOmisell(connectionWith(limiter), "/x");
    expect(calls).toHaveLength(0);
    expect(result.ok || result.reason).toMatchObject({ kind: "throttled", retryAfterSeconds: 42 });
  });

  it("waits out a short wait and asks again", async () => {
    const { limiter, asked } = scriptedLimiter([{ go: false, waitMs: 50 }]);
    const calls = stubOmisell(() => orderAnswer("OM1"));
    const result = await requestOmisell(connectionWith(limiter), "/x");
    expect(result.ok).toBe(true);
    expect(asked).toHaveLength(2);
    expect(calls).toHaveLength(1);
  });

  it("hands back throttled after a few short waits in a row, instead of waiting forever", async () => {
    const short = { go: false as const, waitMs: 5 };
    const { limiter, asked } = scriptedLimiter([short, short, short, short, short]);
    const calls = stubOmisell(() => orderAnswer("OM1"));
    const result = await requestOmisell(connectionWith(limiter), "/x");
    expect(calls).toHaveLength(0);
    expect(asked).toHaveLength(4);
    expect(result.ok || result.reason).toMatchObject({ kind: "throttled", retryAfterSeconds: 1 });
  });

  it("reports X-Omisell-Api-Call-Limit of every answer", async () => {
    const { limiter, reports } = scriptedLimiter([]);
    stubOmisell(() => orderAnswer("OM1", {}, { headers: { "X-Omisell-Api-Call-Limit": "63/100" } }));
    await requestOmisell(connectionWith(limiter), "/x");
    expect(reports).toEqual([{ used: 63, capacity: 100 }]);
  });

  it("reports a call that got no answer, so it stops counting as in flight", async () => {
    const { limiter, reports } = scriptedLimiter([]);
    stubOmisell(() => {
      throw new TypeError("connection reset");
    });
    await requestOmisell(connectionWith(limiter), "/x");
    expect(reports).toEqual([{}]);
  });

  it.each([
    ["Retry-After", () => new Response("", { status: 429, headers: { "retry-after": "7" } }), 7],
    ["data.retry_after", () => Response.json({ data: { retry_after: 45 } }, { status: 429 }), 45],
    [
      "data.retry_after of an envelope on HTTP 200",
      () => Response.json({ data: { retry_after: 9 }, error: true, error_code: 429 }),
      9,
    ],
    ["nothing (30 s)", () => new Response("", { status: 429 }), 30],
  ])("pauses the bucket after a 429 for %s", async (_name, answer, seconds) => {
    const { limiter, reports } = scriptedLimiter([]);
    stubOmisell(answer);
    const result = await requestOmisell(connectionWith(limiter), "/x");
    expect(reports).toEqual([{ pauseMs: seconds * 1000 }]);
    expect(result.ok || result.reason).toMatchObject({ kind: "throttled", retryAfterSeconds: seconds });
  });

  it("does not pause the bucket for other failures", async () => {
    const { limiter, reports } = scriptedLimiter([]);
    stubOmisell(() => envelopeError(500, "busy"));
    await requestOmisell(connectionWith(limiter), "/x");
    expect(reports).toEqual([{}]);
  });

  it("sends the token calls through the limiter too", async () => {
    const { limiter, asked } = scriptedLimiter([{ go: false, waitMs: 60_000 }]);
    const calls = stubOmisell(() => Response.json({ data: { token: "t" } }));
    const result = await renewToken(connectionWith(limiter), readConfig({ OMISELL_API_KEY: "k" }).omisell, undefined);
    expect(calls).toHaveLength(0);
    expect(asked).toEqual(["push"]);
    expect(result.ok || result.reason.kind).toBe("throttled");
  });
});

describe("which bucket a call counts against", () => {
  const base = { OMISELL_API_BASE: "https://api.omisell.test" };

  it("one per seller in partner mode, and never the key in clear", async () => {
    const config = readConfig({ ...base, OMISELL_AUTH_MODE: "partner", OMISELL_PARTNER_KEY: "secret-partner" }).omisell;
    const a = await limiterName(config, "1001");
    expect(a).not.toBe(await limiterName(config, "1002"));
    expect(a).not.toContain("secret-partner");
  });

  it("one per account key in account mode, whatever the seller", async () => {
    const config = readConfig({ ...base, OMISELL_AUTH_MODE: "account", OMISELL_ACCOUNT_KEY: "acc" }).omisell;
    expect(await limiterName(config, "1001")).toBe(await limiterName(config, "1002"));
  });
});

describe("the OmisellRateLimiter Durable Object", () => {
  const small = { capacity: 2, windowMs: 60_000 };

  it("refuses a call once the configured bucket is full", async () => {
    const stub = env.OMISELL_LIMITER.get(env.OMISELL_LIMITER.idFromName(`test-full-${crypto.randomUUID()}`));
    expect(await stub.acquire("push", small)).toEqual({ go: true });
    expect(await stub.acquire("push", small)).toEqual({ go: true });
    const third = await stub.acquire("push", small);
    expect(third.go).toBe(false);
  });

  it("keeps a 429's pause in its storage, so a restarted object still waits", async () => {
    const stub = env.OMISELL_LIMITER.get(env.OMISELL_LIMITER.idFromName(`test-pause-${crypto.randomUUID()}`));
    await stub.report({ pauseMs: 30_000 }, small);

    const answer = await runInDurableObject(stub, async (_instance, state) => {
      const restarted = new OmisellRateLimiter(state, env);
      return restarted.acquire("push", small);
    });

    expect(answer.go).toBe(false);
    expect(answer.go || answer.waitMs).toBeGreaterThan(25_000);
  });

  it("is what the worker's connection uses, sized by OMISELL_RATE_LIMIT", async () => {
    const key = `limited-${crypto.randomUUID()}`;
    const config = readConfig({ OMISELL_ACCOUNT_KEY: key, OMISELL_RATE_LIMIT: "1/60" }).omisell;
    const calls = stubOmisell(() => orderAnswer("OM1"));
    const connection = omisellConnection(env, config, null, "push");

    expect((await requestOmisell(connection, "/x")).ok).toBe(true);
    const second = await requestOmisell(connection, "/x");

    expect(calls).toHaveLength(1);
    expect(second.ok || second.reason).toMatchObject({ kind: "throttled", retryAfterSeconds: 60 });
  });
});

describe("OMISELL_RATE_LIMIT", () => {
  it("defaults to Omisell's 100 calls per 60 seconds, handed out as capacity and window in ms", () => {
    expect(readConfig({}).omisell.rateLimit).toEqual({ capacity: 100, windowMs: 60_000 });
  });

  it("reads <calls>/<seconds>", () => {
    expect(readConfig({ OMISELL_RATE_LIMIT: " 40 / 10 " }).omisell.rateLimit).toEqual({
      capacity: 40,
      windowMs: 10_000,
    });
  });

  it.each(["fast", "100", "0/60", "100/0", "-5/60", "1.5/60"])("refuses %s, naming the variable", (value) => {
    expect(() => readConfig({ OMISELL_RATE_LIMIT: value }).omisell).toThrow(/OMISELL_RATE_LIMIT/);
  });
});

describe("the token endpoints' defaults", () => {
  it("are the paths integrations use in production", () => {
    const config = readConfig({}).omisell;
    expect(config.tokenPath).toBe("/api/v2/auth/token/get/");
    expect(config.refreshPath).toBe("/api/v1/auth/token/refresh/");
  });

  it("can still be set", () => {
    expect(readConfig({ OMISELL_TOKEN_PATH: "/custom/get" }).omisell.tokenPath).toBe("/custom/get");
  });
});
