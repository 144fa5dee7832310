/** The Omisell API client: envelope, classification of failures, timeout, auth headers, one re-auth on 401. */
import { afterEach, describe, expect, it, vi } from "vitest";
import { readConfig } from "../src/config";
import { ok } from "../src/lib/result";
import { omisellAuth } from "../src/omisell/auth";
import { type OmisellAuth, requestOmisell } from "../src/omisell/client";
import { fetchOrderDetail } from "../src/omisell/order-detail";
import { envelopeError, noLimiter, orderAnswer, stubOmisell } from "./helpers/followup";

const connection = { base: "https://api.omisell.test", timeoutMs: 1000, limiter: noLimiter, priority: "push" as const };
const accountAuth: OmisellAuth = {
  headers: async () => ok({ authorization: "Account k" }),
  reauthenticate: async () => false,
};

afterEach(() => {
  vi.restoreAllMocks();
});

describe("requestOmisell", () => {
  it("returns the envelope's data on success", async () => {
    stubOmisell(() => orderAnswer("OM1"));
    const result = await requestOmisell(connection, "/api/v2/public/order/OM1");
    expect(result).toMatchObject(ok({ omisell_order_number: "OM1" }));
  });

  it("treats an error:true envelope as a failure even on HTTP 200", async () => {
    stubOmisell(() => envelopeError(422, ["order_number is invalid"]));
    const result = await requestOmisell(connection, "/x");
    expect(result).toEqual({
      ok: false,
      reason: { kind: "permanent", status: 200, error: 'Omisell error 422: ["order_number is invalid"]' },
    });
  });

  it("treats an error:true envelope without a code as permanent", async () => {
    stubOmisell(() => Response.json({ error: true, messages: "nope" }));
    const result = await requestOmisell(connection, "/x");
    expect(result.ok || result.reason.kind).toBe("permanent");
  });

  it("calls a 429 throttled and reads its Retry-After", async () => {
    stubOmisell(() => new Response("", { status: 429, headers: { "retry-after": "30" } }));
    const result = await requestOmisell(connection, "/x");
    expect(result.ok || result.reason).toMatchObject({ kind: "throttled", status: 429, retryAfterSeconds: 30 });
  });

  it("calls an error:true envelope with code 429 throttled, waiting its data.retry_after", async () => {
    stubOmisell(() => Response.json({ data: { retry_after: 12 }, error: true, error_code: 429, messages: "slow" }));
    const result = await requestOmisell(connection, "/x");
    expect(result.ok || result.reason).toMatchObject({ kind: "throttled", retryAfterSeconds: 12 });
  });

  it("gives up after the timeout and calls it retryable", async () => {
    vi.spyOn(globalThis, "fetch").mockImplementation(
      (_input, init) =>
        new Promise((_resolve, reject) => {
          init?.signal?.addEventListener("abort", () => reject(init.signal?.reason));
        }),
    );
    const started = Date.now();
    const result = await requestOmisell({ ...connection, timeoutMs: 100 }, "/x");
    expect(Date.now() - started).toBeLessThan(1000);
    expect(result.ok || result.reason).toMatchObject({ kind: "retryable", error: expect.stringContaining("timeout") });
  });

  it("flags a 401 as unauthorized", async () => {
    stubOmisell(() => new Response("", { status: 401 }));
    const result = await requestOmisell(connection, "/x");
    expect(result.ok || result.reason).toMatchObject({ kind: "permanent", unauthorized: true });
  });
});

describe("fetchOrderDetail and re-authentication", () => {
  it("re-authenticates once after a 401 and retries with the new credentials", async () => {
    let token = "old";
    const auth: OmisellAuth = {
      headers: async () => ok({ authorization: `Omi ${token}` }),
      reauthenticate: async () => {
        token = "new";
        return true;
      },
    };
    const calls = stubOmisell((call) =>
      call.headers.get("authorization") === "Omi new" ? orderAnswer("OM1") : new Response("", { status: 401 }),
    );

    const result = await fetchOrderDetail(connection, auth, "OM1");

    expect(result.ok).toBe(true);
    expect(calls.map((call) => call.headers.get("authorization"))).toEqual(["Omi old", "Omi new"]);
  });

  it("re-authenticates at most once", async () => {
    const reauthenticate = vi.fn(async () => true);
    const auth: OmisellAuth = { headers: accountAuth.headers, reauthenticate };
    const calls = stubOmisell(() => new Response("", { status: 401 }));

    const result = await fetchOrderDetail(connection, auth, "OM1");

    expect(result.ok).toBe(false);
    expect(reauthenticate).toHaveBeenCalledTimes(1);
    expect(calls).toHaveLength(2);
  });

  it("does not repeat the call when the credentials are static", async () => {
    const calls = stubOmisell(() => new Response("", { status: 401 }));
    await fetchOrderDetail(connection, accountAuth, "OM1");
    expect(calls).toHaveLength(1);
  });

  it("encodes the order number in the path", async () => {
    const calls = stubOmisell(() => orderAnswer("OM 1/2"));
    await fetchOrderDetail(connection, accountAuth, "OM 1/2");
    expect(calls[0]?.url).toBe("https://api.omisell.test/api/v2/public/order/OM%201%2F2");
  });
});

describe("auth modes", () => {
  const base = { OMISELL_API_BASE: "https://api.omisell.test" };

  it("account mode sends Authorization: Account <key>", async () => {
    const config = readConfig({ ...base, OMISELL_AUTH_MODE: "account", OMISELL_ACCOUNT_KEY: "acc" }).omisell;
    expect(await omisellAuth({} as Env, config, null).headers()).toEqual({
      ok: true,
      value: { authorization: "Account acc" },
    });
  });

  it("partner mode sends the partner key, the event's seller and the country", async () => {
    const config = readConfig({
      ...base,
      OMISELL_AUTH_MODE: "partner",
      OMISELL_PARTNER_KEY: "part",
      OMISELL_SELLER_ID: "9",
      OMISELL_COUNTRY: "VN",
    }).omisell;
    expect(await omisellAuth({} as Env, config, "1001").headers()).toEqual({
      ok: true,
      value: { authorization: "Partner part", "seller-id": "1001", country: "VN" },
    });
    expect((await omisellAuth({} as Env, config, null).headers()).ok && "seller from config").toBeTruthy();
  });

  it("partner mode without a country is a permanent failure naming the variable", async () => {
    const config = readConfig({ ...base, OMISELL_AUTH_MODE: "partner", OMISELL_PARTNER_KEY: "p" }).omisell;
    const headers = await omisellAuth({} as Env, config, "1001").headers();
    expect(headers.ok || headers.reason).toMatchObject({
      kind: "permanent",
      error: expect.stringContaining("OMISELL_COUNTRY"),
    });
  });

  it("token mode sends Authorization: Omi <token> and reports a rejected token to the holder once", async () => {
    const getToken = vi.fn(async (rejected?: string) => ok(rejected ? "fresh" : "stale"));
    const holders = { idFromName: (name: string) => name, get: () => ({ getToken }) };
    const config = readConfig({ ...base, OMISELL_AUTH_MODE: "token" }).omisell;
    const auth = omisellAuth({ OMISELL_TOKEN: holders } as unknown as Env, config, null);

    const first = await auth.headers();
    expect(first).toEqual(ok({ authorization: "Omi stale" }));
    expect(await auth.reauthenticate()).toBe(true);
    expect(await auth.headers()).toEqual(ok({ authorization: "Omi fresh" }));
    expect(getToken).toHaveBeenLastCalledWith("stale");
    expect(await auth.reauthenticate()).toBe(false);
  });

  it("token mode turns a token holder that cannot be reached into a retryable failure, never a throw", async () => {
    const getToken = vi.fn(async () => {
      throw new Error("Durable Object reset because its code was updated.");
    });
    const holders = { idFromName: (name: string) => name, get: () => ({ getToken }) };
    const config = readConfig({ ...base, OMISELL_AUTH_MODE: "token" }).omisell;
    const auth = omisellAuth({ OMISELL_TOKEN: holders } as unknown as Env, config, null);

    expect(await auth.headers()).toEqual({
      ok: false,
      reason: { kind: "retryable", error: expect.stringContaining("Durable Object reset") },
    });
    expect(await auth.reauthenticate()).toBe(false);
  });
});
