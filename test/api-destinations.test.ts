/**
 * The destinations' admin API over HTTP: what each route answers, who may call it, that a secret is
 * shown only when made, that the default destination follows FORWARD_URL and refuses changes, and
 * that every bad input is a clear 4xx that changes nothing.
 */
import { env } from "cloudflare:workers";
import { Webhook } from "standardwebhooks";
import { afterEach, describe, expect, it, vi } from "vitest";
import { callsOf, deliveriesOf, forwardVars, newScenario, TEST_FORWARD_SECRET, walk } from "./helpers/forward";
import { fetchWithEnv } from "./helpers/push";
import { ADMIN_TOKEN, BASE, expectInvalidField, json, READ_TOKEN, storeEvent } from "./helpers/read-api";

afterEach(() => {
  vi.restoreAllMocks();
});

type DestinationView = {
  id: string;
  name: string;
  url: string;
  state: string;
  format: string;
  filter: Record<string, string[]>;
  rate_per_minute: number | null;
  cursor_seq: number;
  config_managed: boolean;
  health: Record<string, unknown>;
};

/** A request to the worker as deployed with `vars` on top of the test vars. */
function call(
  method: string,
  path: string,
  options: { body?: unknown; token?: string | null; vars?: Record<string, string> } = {},
) {
  const headers = new Headers({ "content-type": "application/json" });
  const token = options.token === undefined ? ADMIN_TOKEN : options.token;
  if (token !== null) headers.set("authorization", `Bearer ${token}`);
  const body = options.body === undefined ? undefined : JSON.stringify(options.body);
  return fetchWithEnv(new Request(`${BASE}${path}`, { method, headers, body }), options.vars ?? {});
}

async function create(body: Record<string, unknown> = {}) {
  const scenario = await newScenario();
  const res = await call("POST", "/api/destinations", {
    body: { name: "ERP", url: `https://forward.test/hook/${scenario}`, ...body },
  });
  expect(res.status).toBe(201);
  return { scenario, ...(await json<{ destination: DestinationView; secret: string; warnings?: string[] }>(res)) };
}

async function listed(vars: Record<string, string> = {}) {
  const res = await call("GET", "/api/destinations", { token: READ_TOKEN, vars });
  expect(res.status).toBe(200);
  return (await json<{ destinations: DestinationView[] }>(res)).destinations;
}

/** The worker's env with a FORWARDS queue that sends nothing: the walk's deliveries stay pending. */
function quietEnv(): Env {
  return { ...env, FORWARDS: { sendBatch: async () => undefined } } as unknown as Env;
}

async function rowCount(): Promise<number> {
  return (await env.DB.prepare("SELECT COUNT(*) AS n FROM destinations").first<{ n: number }>())?.n ?? 0;
}

describe("POST /api/destinations", () => {
  it("creates an active destination and shows its whsec_ secret once: 201", async () => {
    const { destination, secret } = await create({ filter: { events: ["order."] }, rate_per_minute: 120 });
    expect(destination).toMatchObject({
      name: "ERP",
      state: "active",
      format: "envelope",
      filter: { events: ["order."] },
      rate_per_minute: 120,
      config_managed: false,
      events_lost: 0,
    });
    expect(destination.id).toMatch(/^dst_[0-9A-HJKMNP-TV-Z]{26}$/);
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(() => new Webhook(secret)).not.toThrow();
    const one = await call("GET", `/api/destinations/${destination.id}`, { token: READ_TOKEN });
    const text = await one.text();
    expect(text).not.toContain(secret.slice("whsec_".length));
    expect(JSON.stringify(await listed())).not.toContain(secret.slice("whsec_".length));
  });

  it("starts at the feed's head by default, or after the seq given (the history since)", async () => {
    const old = await storeEvent({ status: "processed" });
    const now = await create();
    expect(now.destination.cursor_seq).toBeGreaterThanOrEqual(old.seq ?? 0);
    const history = await create({ start: (old.seq ?? 1) - 1 });
    expect(history.destination.cursor_seq).toBe((old.seq ?? 1) - 1);
  });

  it("accepts a filter that can match nothing, and says so in warnings", async () => {
    const { destination, warnings } = await create({
      filter: { statuses: ["received"], categories: ["parcel"], events: [] },
    });
    expect(destination.state).toBe("active");
    expect(warnings).toEqual([
      expect.stringContaining("filter.events is empty"),
      expect.stringContaining('"received" is not a final status'),
      expect.stringContaining('"parcel" is not a category'),
    ]);
  });

  it.each([
    ["a url that is not https", { url: "ftp://erp.example.com/hook" }, "url"],
    ["a plain http url to another host", { url: "http://erp.example.com/hook" }, "url"],
    ["a url with credentials", { url: "https://user:pass@erp.example.com/hook" }, "url"],
    ["a url that does not parse", { url: "not a url" }, "url"],
    ["an unknown filter key", { filter: { colour: ["red"] } }, "filter.colour"],
    ["an unknown format", { format: "xml" }, "format"],
    ["a rate that is not a whole number", { rate_per_minute: 1.5 }, "rate_per_minute"],
    ["an unknown field", { owner: "me" }, "owner"],
    ["a start past the newest change", { start: 10_000_000 }, "start"],
    ["no name", { name: "" }, "name"],
  ])("answers 400 naming the field for %s, and creates nothing", async (_case, body, field) => {
    const before = await rowCount();
    const res = await call("POST", "/api/destinations", {
      body: { name: "ERP", url: "https://erp.example.com/hook", ...body },
    });
    await expectInvalidField(res, field);
    expect(await rowCount()).toBe(before);
  });

  it("allows plain http to localhost and 127.0.0.1, and to any host with ALLOW_HTTP_DESTINATIONS", async () => {
    for (const url of ["http://localhost:9001/hook", "http://127.0.0.1:9002/"]) {
      expect((await call("POST", "/api/destinations", { body: { name: "local", url } })).status).toBe(201);
    }
    const body = { name: "dev", url: "http://erp.example.com/hook" };
    const res = await call("POST", "/api/destinations", { body, vars: { ALLOW_HTTP_DESTINATIONS: "true" } });
    expect(res.status).toBe(201);
  });

  it("answers 403 to a read token, and creates nothing", async () => {
    const before = await rowCount();
    const res = await call("POST", "/api/destinations", {
      token: READ_TOKEN,
      body: { name: "ERP", url: "https://erp.example.com/hook" },
    });
    expect(res.status).toBe(403);
    expect(await rowCount()).toBe(before);
  });

  it("needs a token", async () => {
    expect((await call("GET", "/api/destinations", { token: null })).status).toBe(401);
  });
});

describe("GET, PATCH and DELETE /api/destinations/{id}", () => {
  it("shows one destination with its health, and 404 for an unknown id, 400 for a malformed one", async () => {
    const { destination } = await create();
    const res = await call("GET", `/api/destinations/${destination.id}`, { token: READ_TOKEN });
    expect(await json(res)).toMatchObject({
      id: destination.id,
      health: { delivered_24h: 0, failed_24h: 0, last_error: null, last_delivered_at: null, lag: expect.any(Number) },
    });
    expect((await call("GET", "/api/destinations/dst_01KB0000000000000000000000", { token: READ_TOKEN })).status).toBe(
      404,
    );
    await expectInvalidField(await call("GET", "/api/destinations/nope", { token: READ_TOKEN }), "id");
  });

  it("changes the fields given, and keeps the others", async () => {
    const { destination } = await create({ filter: { events: ["order."] } });
    const res = await call("PATCH", `/api/destinations/${destination.id}`, {
      body: { name: "Warehouse", format: "raw", rate_per_minute: null },
    });
    expect(res.status).toBe(200);
    expect(await json(res)).toMatchObject({
      name: "Warehouse",
      format: "raw",
      rate_per_minute: null,
      filter: { events: ["order."] },
    });
  });

  it.each([
    ["a bad url", { url: "http://erp.example.com" }, "url"],
    ["an unknown filter key", { filter: { event: ["order.shipped"] } }, "filter.event"],
    ["nothing at all", {}, "request"],
  ])("answers 400 naming the field for %s, and changes nothing", async (_case, body, field) => {
    const { destination } = await create();
    await expectInvalidField(await call("PATCH", `/api/destinations/${destination.id}`, { body }), field);
    const after = await json(await call("GET", `/api/destinations/${destination.id}`, { token: READ_TOKEN }));
    expect(after).toMatchObject({ url: destination.url, filter: destination.filter, updated_at: expect.any(Number) });
  });

  it("deletes one, cancelling its pending deliveries, and lists it no more", async () => {
    const { destination } = await create();
    const event = await storeEvent({ status: "processed" });
    await walk(quietEnv());
    expect(await deliveriesOf(event.id, destination.id)).toHaveLength(1);

    const res = await call("DELETE", `/api/destinations/${destination.id}`);

    expect(res.status).toBe(200);
    expect(await json(res)).toMatchObject({ destination: { id: destination.id }, cancelled: 1 });
    expect((await deliveriesOf(event.id, destination.id))[0]).toMatchObject({ status: "cancelled" });
    expect((await listed()).map((d) => d.id)).not.toContain(destination.id);
    expect((await call("DELETE", `/api/destinations/${destination.id}`)).status).toBe(404);
  });
});

describe("the default destination (FORWARD_URL)", () => {
  const vars = forwardVars("api-default");

  it("is listed while FORWARD_URL is set, as config-managed, and not while it is unset", async () => {
    const withForwarding = await listed(vars);
    expect(withForwarding.find((d) => d.id === "default")).toMatchObject({
      config_managed: true,
      state: "active",
      url: vars.FORWARD_URL,
    });
    expect((await listed()).map((d) => d.id)).not.toContain("default");
  });

  it.each([
    ["PATCH", "/api/destinations/default", { name: "mine" }],
    ["DELETE", "/api/destinations/default", undefined],
    ["POST", "/api/destinations/default/rotate-secret", undefined],
  ])("answers 409 config_managed to %s %s, and changes nothing", async (method, path, body) => {
    const res = await call(method, path, { body, vars });
    expect(res.status).toBe(409);
    expect(await json(res)).toMatchObject({ error: "config_managed" });
    expect((await listed(vars)).find((d) => d.id === "default")?.name).toBe("default (FORWARD_URL)");
  });

  it("can be tested, with FORWARD_SECRET's signature", async () => {
    const scenario = await newScenario([{ status: 204 }]);
    const res = await call("POST", "/api/destinations/default/test", { vars: forwardVars(scenario) });
    expect(await json(res)).toMatchObject({ ok: true, status_code: 204 });
    const [sent] = await callsOf(scenario);
    expect(new Webhook(TEST_FORWARD_SECRET).verify(sent?.body ?? "", sent?.headers ?? {})).toMatchObject({
      type: "omisell_push.test",
    });
  });
});

describe("the actions on one destination", () => {
  it("pause and resume answer the destination with its new state; a read token gets 403", async () => {
    const { destination } = await create();
    const paused = await call("POST", `/api/destinations/${destination.id}/pause`);
    expect(await json(paused)).toMatchObject({ id: destination.id, state: "paused" });
    expect((await call("POST", `/api/destinations/${destination.id}/resume`, { token: READ_TOKEN })).status).toBe(403);
    const resumed = await call("POST", `/api/destinations/${destination.id}/resume`);
    expect(await json(resumed)).toMatchObject({ id: destination.id, state: "active" });
  });

  it("resume of an active destination changes nothing: its deliveries keep their schedule", async () => {
    const { destination } = await create();
    const event = await storeEvent({ status: "processed" });
    await walk(quietEnv());
    const later = Date.now() + 3_600_000;
    await env.DB.prepare("UPDATE deliveries SET next_attempt_at = ?2, attempts = 2 WHERE destination_id = ?1")
      .bind(destination.id, later)
      .run();
    const res = await call("POST", `/api/destinations/${destination.id}/resume`);
    expect(await json(res)).toMatchObject({ state: "active" });
    expect((await deliveriesOf(event.id, destination.id))[0]?.next_attempt_at).toBe(later);
  });

  it("rotate-secret answers a new secret, valid with the previous one for 24 hours", async () => {
    const { destination, secret } = await create();
    const res = await call("POST", `/api/destinations/${destination.id}/rotate-secret`);
    const rotated = await json<{ secret: string; previous_secret_valid_until: number }>(res);
    expect(rotated.secret).toMatch(/^whsec_/);
    expect(rotated.secret).not.toBe(secret);
    expect(rotated.previous_secret_valid_until).toBeGreaterThan(Date.now() + 23 * 3_600_000);
    const after = await json(await call("GET", `/api/destinations/${destination.id}`, { token: READ_TOKEN }));
    expect(JSON.stringify(after)).not.toContain(rotated.secret.slice(6));
  });

  it("test sends one omisell_push.test message now and says how it went", async () => {
    const { destination, secret, scenario } = await create();
    const res = await call("POST", `/api/destinations/${destination.id}/test`);
    expect(await json(res)).toMatchObject({ ok: true, status_code: 200, latency_ms: expect.any(Number) });
    const [sent] = await callsOf(scenario);
    expect(new Webhook(secret).verify(sent?.body ?? "", sent?.headers ?? {})).toMatchObject({
      type: "omisell_push.test",
      data: { destination_id: destination.id },
    });
  });

  it("test reports a refusal without counting anything", async () => {
    const scenario = await newScenario([{ status: 503 }]);
    const created = await call("POST", "/api/destinations", {
      body: { name: "down", url: `https://forward.test/hook/${scenario}` },
    });
    const { destination } = await json<{ destination: DestinationView }>(created);
    const res = await call("POST", `/api/destinations/${destination.id}/test`);
    expect(await json(res)).toMatchObject({ ok: false, status_code: 503, error: "HTTP 503" });
    const after = await json(await call("GET", `/api/destinations/${destination.id}`, { token: READ_TOKEN }));
    expect(after).toMatchObject({ health: { failed_24h: 0, last_error: null } });
  });

  it("retry-failed puts every failed delivery of it back to pending: 202 {queued}", async () => {
    const { destination } = await create();
    const events = [await storeEvent({ status: "processed" }), await storeEvent({ status: "failed" })];
    await walk(quietEnv());
    await env.DB.prepare("UPDATE deliveries SET status = 'failed', next_attempt_at = NULL WHERE destination_id = ?1")
      .bind(destination.id)
      .run();
    const res = await call("POST", `/api/destinations/${destination.id}/retry-failed`);
    expect(res.status).toBe(202);
    expect(await json(res)).toEqual({ queued: 2 });
    for (const event of events) {
      expect((await deliveriesOf(event.id, destination.id))[0]?.status).toBe("pending");
    }
  });

  it("answers 404 to an unknown destination", async () => {
    for (const action of ["pause", "resume", "test", "retry-failed", "rotate-secret"]) {
      const res = await call("POST", `/api/destinations/dst_01KB0000000000000000000000/${action}`);
      expect(res.status, action).toBe(404);
    }
  });
});

describe("GET /api/deliveries with destinations", () => {
  it("filters by destination_id and names each delivery's destination", async () => {
    const { destination } = await create({ name: "By name" });
    const event = await storeEvent({ status: "processed" });
    await walk(quietEnv());
    const res = await call("GET", `/api/deliveries?destination_id=${destination.id}`, { token: READ_TOKEN });
    const page = await json<{ deliveries: { event_id: string; destination_id: string; destination: string }[] }>(res);
    expect(page.deliveries).toEqual([
      expect.objectContaining({ event_id: event.id, destination_id: destination.id, destination: "By name" }),
    ]);
    await expectInvalidField(
      await call("GET", "/api/deliveries?destination_id=x", { token: READ_TOKEN }),
      "destination_id",
    );
  });
});
