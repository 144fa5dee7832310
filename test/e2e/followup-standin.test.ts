/** The Omisell stand-in on its own: shapes, auth, token endpoints, knobs (options and HTTP) and stats. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type OmisellStandin, startOmisellStandin } from "../../scripts/omisell-standin.ts";

let standin: OmisellStandin;

beforeAll(async () => {
  standin = await startOmisellStandin({ port: 0, accountKey: "dev-account-key" });
});
afterAll(async () => {
  await standin.close();
});

const order = (number: string, authorization = "Account dev-account-key") =>
  fetch(`${standin.url}/api/v2/public/order/${number}`, { headers: { authorization } });

async function knobs(body: Record<string, unknown>) {
  return fetch(`${standin.url}/__standin/knobs`, { method: "POST", body: JSON.stringify(body) });
}

describe("the Omisell stand-in", () => {
  it("listens on a free port when asked for port 0", () => {
    expect(standin.port).toBeGreaterThan(0);
    expect(standin.url).toBe(`http://127.0.0.1:${standin.port}`);
  });

  it("answers the order detail in Omisell's envelope for any order number", async () => {
    const res = await order("OM-ANY-1");
    expect(res.status).toBe(200);
    const body = await res.json();
    expect(body).toMatchObject({ error: false, error_code: 200, data: { omisell_order_number: "OM-ANY-1" } });
    expect(body.data.parcels[0]).toHaveProperty("omisell_shipment_number");
  });

  it("refuses a wrong account key with 401 in the envelope", async () => {
    const res = await order("OM-1", "Account wrong");
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({ error: true, error_code: 401 });
  });

  it("issues a token, accepts it, and refreshes it once per refresh token", async () => {
    const got = await (
      await fetch(`${standin.url}/api/v2/public/token/get`, { method: "POST", body: '{"api_key":"k"}' })
    ).json();
    expect(got.data).toMatchObject({ token: expect.any(String), refresh_token: expect.any(String) });
    expect((await order("OM-1", `Omi ${got.data.token}`)).status).toBe(200);

    const refresh = () =>
      fetch(`${standin.url}/api/v2/public/token/refresh`, {
        method: "POST",
        body: JSON.stringify({ refresh_token: got.data.refresh_token }),
      });
    expect((await refresh()).status).toBe(200);
    expect((await refresh()).status).toBe(401);
  });

  it("fails every order call as told at runtime, and recovers", async () => {
    await knobs({ errorRate: 1, errorStatus: 503 });
    expect((await order("OM-2")).status).toBe(503);
    await knobs({ errorRate: 0, rate429: 1, retryAfterSeconds: 7 });
    const limited = await order("OM-2");
    expect(limited.status).toBe(429);
    expect(limited.headers.get("retry-after")).toBe("7");
    await knobs({ rate429: 0, malformedRate: 1 });
    expect(await (await order("OM-2")).text()).not.toMatch(/^\{/);
    await knobs({ malformedRate: 0, envelopeErrorRate: 1, envelopeErrorCode: 404 });
    const enveloped = await order("OM-2");
    expect(enveloped.status).toBe(200);
    expect(await enveloped.json()).toMatchObject({ error: true, error_code: 404 });
    await knobs({ envelopeErrorRate: 0, unauthorizedRate: 1 });
    expect((await order("OM-2")).status).toBe(401);
    standin.setKnobs({ unauthorizedRate: 0 });
    expect((await order("OM-2")).status).toBe(200);
  });

  it("waits latencyMs before answering", async () => {
    standin.setKnobs({ latencyMs: 150 });
    const started = Date.now();
    await order("OM-3");
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
    standin.setKnobs({ latencyMs: 0 });
  });

  it("refuses an unknown knob over HTTP", async () => {
    const res = await knobs({ errorRat: 1 });
    expect(res.status).toBe(400);
  });

  it("counts requests by route and outcome", async () => {
    await fetch(`${standin.url}/__standin/reset`, { method: "POST" });
    await order("OM-4");
    await order("OM-4", "Account wrong");
    const stats = await (await fetch(`${standin.url}/__standin/stats`)).json();
    expect(stats).toEqual({
      requests: 2,
      routes: { order: 2 },
      outcomes: { ok: 1, "401": 1 },
      otherTool: { calls: 0, refused: 0 },
      peakUsed: 0,
    });
    expect(standin.stats()).toEqual(stats);
  });
});
