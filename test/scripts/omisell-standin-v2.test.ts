/**
 * The Omisell stand-in over HTTP, in-process: token routes at the production paths, the
 * leaky-bucket rate limit, orders made without a push and Omisell's order list, and the stats.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { startOmisellStandin } from "../../scripts/omisell-standin.ts";

let standin: Awaited<ReturnType<typeof startOmisellStandin>>;
const ACCOUNT = { authorization: "Account any-key" };

beforeAll(async () => {
  standin = await startOmisellStandin({ port: 0 });
});
afterAll(async () => {
  await standin.close();
});
beforeEach(async () => {
  await post("/__standin/reset", { knobs: true, orders: true });
});

function post(path: string, body: unknown) {
  return fetch(`${standin.url}${path}`, { method: "POST", body: JSON.stringify(body) });
}
const get = (path: string) => fetch(`${standin.url}${path}`, { headers: ACCOUNT });
const stats = async () => (await (await fetch(`${standin.url}/__standin/stats`)).json()) as Stats;
type Stats = { requests: number; routes: Record<string, number>; outcomes: Record<string, number> };
type ListPage = {
  count: number;
  next: string | null;
  previous: string | null;
  results: { omisell_order_number: string; updated_time: number; status_name: string }[];
};

async function list(params: string): Promise<ListPage> {
  const res = await get(`/api/v2/public/order/list?status_group=all&${params}`);
  expect(res.status).toBe(200);
  return ((await res.json()) as { data: ListPage }).data;
}

describe("token routes at the production paths", () => {
  it("issue a token for api_key and api_secret, and the token opens the order detail", async () => {
    const res = await post("/api/v2/auth/token/get/", { api_key: "k", api_secret: "s" });
    const { data } = await res.json();
    expect(data).toEqual({
      token: expect.any(String),
      refresh_token: expect.any(String),
      expired_time: expect.any(Number),
    });
    const order = await fetch(`${standin.url}/api/v2/public/order/OM-1`, {
      headers: { authorization: `Omi ${data.token}` },
    });
    expect(order.status).toBe(200);
  });

  it("refuse a token request without api_secret", async () => {
    expect((await post("/api/v2/auth/token/get/", { api_key: "k" })).status).toBe(401);
  });

  it("refuse credentials other than the configured ones", async () => {
    standin.setKnobs({ apiKey: "k", apiSecret: "s" });
    expect((await post("/api/v2/auth/token/get/", { api_key: "k", api_secret: "wrong" })).status).toBe(401);
    expect((await post("/api/v2/auth/token/get/", { api_key: "k", api_secret: "s" })).status).toBe(200);
  });

  it("leave out expired_time when told to", async () => {
    standin.setKnobs({ tokenOmitExpiry: true });
    const { data } = await (await post("/api/v2/auth/token/get/", { api_key: "k", api_secret: "s" })).json();
    expect(data).not.toHaveProperty("expired_time");
    expect(data.token).toEqual(expect.any(String));
  });

  it("refresh with {refresh} once per refresh token", async () => {
    const { data } = await (await post("/api/v2/auth/token/get/", { api_key: "k", api_secret: "s" })).json();
    const first = await post("/api/v1/auth/token/refresh/", { refresh: data.refresh_token });
    expect(first.status).toBe(200);
    expect((await first.json()).data.token).not.toBe(data.token);
    expect((await post("/api/v1/auth/token/refresh/", { refresh: data.refresh_token })).status).toBe(401);
  });

  it("fail every refresh when told to", async () => {
    const { data } = await (await post("/api/v2/auth/token/get/", { api_key: "k", api_secret: "s" })).json();
    await post("/__standin/knobs", { refreshFails: true });
    const res = await post("/api/v1/auth/token/refresh/", { refresh: data.refresh_token });
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({ error: true, error_code: 401 });
  });

  it("count token and refresh calls by route", async () => {
    const { data } = await (await post("/api/v2/auth/token/get/", { api_key: "k", api_secret: "s" })).json();
    await post("/api/v1/auth/token/refresh/", { refresh: data.refresh_token });
    expect((await stats()).routes).toEqual({ token: 1, refresh: 1 });
  });
});

describe("the rateLimit knob", () => {
  it("puts X-Omisell-Api-Call-Limit with used/capacity on every API answer", async () => {
    await post("/__standin/knobs", { rateLimit: "5/60" });
    const first = await get("/api/v2/public/order/OM-1");
    const second = await post("/api/v2/auth/token/get/", { api_key: "k", api_secret: "s" });
    expect([first.headers.get("x-omisell-api-call-limit"), second.headers.get("x-omisell-api-call-limit")]).toEqual([
      "1/5",
      "2/5",
    ]);
  });

  it("answers 429 with data.retry_after once the bucket is full", async () => {
    await post("/__standin/knobs", { rateLimit: "2/60" });
    await get("/api/v2/public/order/OM-1");
    await get("/api/v2/public/order/OM-1");
    const res = await get("/api/v2/public/order/OM-1");
    expect(res.status).toBe(429);
    expect(res.headers.get("x-omisell-api-call-limit")).toBe("2/2");
    expect(await res.json()).toMatchObject({ error: true, error_code: 429, data: { retry_after: 30 } });
  });

  it("lets calls through again as the bucket drains", async () => {
    await post("/__standin/knobs", { rateLimit: "4/1" });
    const statuses = [];
    for (let i = 0; i < 5; i++) statuses.push((await get("/api/v2/public/order/OM-1")).status);
    expect(statuses).toEqual([200, 200, 200, 200, 429]);
    await new Promise((r) => setTimeout(r, 300));
    expect((await get("/api/v2/public/order/OM-1")).status).toBe(200);
  });

  it("counts the 429s in the stats", async () => {
    await post("/__standin/knobs", { rateLimit: "1/60" });
    await get("/api/v2/public/order/list?updated_from=0&updated_to=1");
    await get("/api/v2/public/order/OM-1");
    await get("/api/v2/public/order/OM-1");
    expect(await stats()).toEqual({
      requests: 3,
      routes: { order_list: 1, order: 2 },
      outcomes: { ok: 1, "429": 2 },
      otherTool: { calls: 0, refused: 0 },
      peakUsed: 1,
    });
  });

  it("is off by default: no header, no 429", async () => {
    const answers = await Promise.all(Array.from({ length: 150 }, () => get("/api/v2/public/order/OM-1")));
    expect(answers.every((r) => r.status === 200 && !r.headers.has("x-omisell-api-call-limit"))).toBe(true);
  });

  it("is emptied by a reset", async () => {
    await post("/__standin/knobs", { rateLimit: "1/60" });
    await get("/api/v2/public/order/OM-1");
    await post("/__standin/reset", {});
    expect((await get("/api/v2/public/order/OM-1")).status).toBe(200);
  });

  it("refuses a rate limit that is not <calls>/<seconds>", async () => {
    const res = await post("/__standin/knobs", { rateLimit: "fast" });
    expect(res.status).toBe(400);
  });
});

describe("orders made on the stand-in, and the order list", () => {
  it("lists an order made without a push, in Omisell's list shape", async () => {
    await post("/__standin/orders", { omisell_order_number: "OM-L1", status_name: "Shipped", updated_time: 1000 });
    expect(await list("updated_from=1000&updated_to=1000")).toEqual({
      count: 1,
      next: null,
      previous: null,
      results: [
        {
          omisell_order_number: "OM-L1",
          order_number: "SO-OM-L1",
          status_id: 4,
          status_name: "Shipped",
          created_time: 1000,
          updated_time: 1000,
        },
      ],
    });
  });

  it("includes both bounds of the window and nothing outside it", async () => {
    for (const [n, t] of [
      ["A", 99],
      ["B", 100],
      ["C", 200],
      ["D", 201],
    ] as const) {
      await post("/__standin/orders", { omisell_order_number: n, updated_time: t });
    }
    const page = await list("updated_from=100&updated_to=200");
    expect(page.results.map((o) => o.omisell_order_number)).toEqual(["B", "C"]);
  });

  it("pages with next as a full URL to follow until null", async () => {
    for (let i = 0; i < 5; i++)
      await post("/__standin/orders", { omisell_order_number: `P${i}`, updated_time: 500 + i });
    const seen: string[] = [];
    let page = await list("updated_from=500&updated_to=504&page_size=2");
    seen.push(...page.results.map((o) => o.omisell_order_number));
    while (page.next) {
      expect(page.next.startsWith(`${standin.url}/api/v2/public/order/list?`)).toBe(true);
      const res = await fetch(page.next, { headers: ACCOUNT });
      page = ((await res.json()) as { data: ListPage }).data;
      seen.push(...page.results.map((o) => o.omisell_order_number));
    }
    expect(seen).toEqual(["P0", "P1", "P2", "P3", "P4"]);
  });

  it("moves a changed order to its new update time", async () => {
    await post("/__standin/orders", { omisell_order_number: "OM-U", status_name: "Pending", updated_time: 100 });
    await post("/__standin/orders", { omisell_order_number: "OM-U", status_name: "Delivered", updated_time: 300 });
    expect((await list("updated_from=0&updated_to=200")).count).toBe(0);
    expect((await list("updated_from=300&updated_to=300")).results[0]?.status_name).toBe("Delivered");
  });

  it("shows a made order's status and update time in its detail", async () => {
    await post("/__standin/orders", { omisell_order_number: "OM-D", status_name: "Cancelled", updated_time: 4242 });
    const { data } = await (await get("/api/v2/public/order/OM-D")).json();
    expect(data).toMatchObject({ omisell_order_number: "OM-D", status_name: "Cancelled", updated_time: 4242 });
    expect(data.parcels).toEqual(expect.any(Array));
  });

  it("dates an order made without updated_time now", async () => {
    const before = Math.floor(Date.now() / 1000);
    const made = await (await post("/__standin/orders", { omisell_order_number: "OM-N" })).json();
    expect(made.updated_time).toBeGreaterThanOrEqual(before);
    expect(made.updated_time).toBeLessThanOrEqual(before + 2);
  });

  it("refuses a page size over 100 with a 400 in the envelope", async () => {
    const res = await get("/api/v2/public/order/list?updated_from=0&updated_to=1&page_size=101");
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: true, error_code: 400 });
  });

  it("refuses an order without omisell_order_number", async () => {
    expect((await post("/__standin/orders", { status_name: "Shipped" })).status).toBe(400);
  });

  it("asks for authorization on the list like on the detail", async () => {
    const res = await fetch(`${standin.url}/api/v2/public/order/list?updated_from=0&updated_to=1`);
    expect(res.status).toBe(401);
  });

  it("forgets the orders on a reset with orders: true", async () => {
    await post("/__standin/orders", { omisell_order_number: "OM-R", updated_time: 10 });
    await post("/__standin/reset", { orders: true });
    expect(await (await fetch(`${standin.url}/__standin/orders`)).json()).toEqual([]);
  });

  it("counts list calls as order_list", async () => {
    await list("updated_from=0&updated_to=1");
    await get("/api/v2/public/order/OM-1");
    expect((await stats()).routes).toEqual({ order_list: 1, order: 1 });
  });
});
