/**
 * POST /webhooks/omisell, row by row as in the push table of docs/contract.md, through fetch like
 * Omisell. Each test checks the answer and what was (or was not) stored.
 */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { livePushSteps, type PushSteps } from "../src/push/ingest";
import { CALLBACK_URL, countEvents, eventRow, fetchWithEnv, samplePush, sendPush, signedRequest } from "./helpers/push";

const KIB = 1024;

describe("accepted, first time", () => {
  it("answers 200 with an empty body, Push-Status accepted and the new event id", async () => {
    const push = samplePush("order.shipped");
    const res = await sendPush(push);
    expect(res.status).toBe(200);
    expect(await res.text()).toBe("");
    expect(res.headers.get("Push-Status")).toBe("accepted");
    const id = res.headers.get("Push-Event-Id");
    expect(id).toMatch(/^[0-9A-HJKMNP-TV-Z]{26}$/);
    expect(await eventRow(id as string)).toMatchObject({
      dedupe_key: push.request_id,
      request_id: push.request_id,
      event: "order.shipped",
      category: "order",
      seller_id: "1001",
      resource_type: "order",
      resource_id: push.data.omisell_order_number,
      order_number: push.data.omisell_order_number,
      status: "received",
      attempts: 0,
      signature_valid: 1,
      payload: JSON.stringify(push),
    });
  });

  it("stores the raw body verbatim, whitespace and key order included", async () => {
    const raw = `{ "event" : "order.created",\n "request_id":"raw-${crypto.randomUUID()}", "data":{"omisell_order_number":"OM-RAW"} }  `;
    const res = await sendPush(raw);
    expect(res.status).toBe(200);
    const row = await eventRow(res.headers.get("Push-Event-Id") as string);
    expect(row?.payload).toBe(raw);
  });

  it("records received_at as the time encoded in the event id", async () => {
    const before = Date.now();
    const res = await sendPush(samplePush());
    const row = await eventRow(res.headers.get("Push-Event-Id") as string);
    expect(row?.received_at).toBeGreaterThanOrEqual(before);
    expect(row?.received_at).toBeLessThanOrEqual(Date.now());
  });
});

describe("duplicate of a stored push", () => {
  it("answers 200 duplicate with the id of the first copy and stores nothing more", async () => {
    const push = samplePush("shipment.delivered");
    const first = await sendPush(push);
    const again = await sendPush(push);
    expect(again.status).toBe(200);
    expect(await again.text()).toBe("");
    expect(again.headers.get("Push-Status")).toBe("duplicate");
    expect(again.headers.get("Push-Event-Id")).toBe(first.headers.get("Push-Event-Id"));
    expect(await countEvents("request_id = ?", push.request_id)).toBe(1);
  });

  it("recognises a duplicate by request_id even when the body differs (Omisell re-sent it)", async () => {
    const push = samplePush();
    const first = await sendPush(push);
    const second = await sendPush({ ...push, timestamp: push.timestamp + 120 });
    expect(second.headers.get("Push-Status")).toBe("duplicate");
    expect(second.headers.get("Push-Event-Id")).toBe(first.headers.get("Push-Event-Id"));
  });

  it("dedupes a push without request_id by the hash of its body", async () => {
    const { request_id: _drop, ...push } = samplePush();
    const first = await sendPush(push);
    const second = await sendPush(push);
    expect(first.headers.get("Push-Status")).toBe("accepted");
    expect(second.headers.get("Push-Status")).toBe("duplicate");
    const row = await eventRow(first.headers.get("Push-Event-Id") as string);
    expect(row?.dedupe_key).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(row?.request_id).toBeNull();
  });
});

describe("URL verification", () => {
  it.each([
    ["an empty body", ""],
    ["a whitespace-only body", " \n\t\r\n "],
  ])("answers %s 200 ignored, unsigned, and stores nothing", async (_name, body) => {
    const before = await countEvents();
    const res = await sendPush(body, { authorization: null });
    expect(res.status).toBe(200);
    expect(res.headers.get("Push-Status")).toBe("ignored");
    expect(res.headers.get("Push-Event-Id")).toBeNull();
    expect(await res.text()).toBe("");
    expect(await countEvents()).toBe(before);
  });

  it.each([
    ["signed", undefined],
    ["unsigned", null],
    ["wrongly signed", "0".repeat(64)],
  ])("answers a %s verify_info body 200 ignored and stores nothing", async (_name, authorization) => {
    const body = { code: 0, data: { verify_info: "This is a Verification message from the console" } };
    const before = await countEvents();
    const res = await sendPush(body, { authorization });
    expect(res.status).toBe(200);
    expect(res.headers.get("Push-Status")).toBe("ignored");
    expect(await countEvents()).toBe(before);
  });

  it("treats a body with verify_info and an event name as a push", async () => {
    const push = { ...samplePush(), data: { verify_info: "x", omisell_order_number: "OM-V" } };
    const res = await sendPush(push);
    expect(res.headers.get("Push-Status")).toBe("accepted");
  });
});

describe("URL verification before the secret is set", () => {
  it.each([
    ["an empty body", ""],
    ["a verify_info body", JSON.stringify({ code: 0, data: { verify_info: "This is a Verification message" } })],
  ])("answers %s 200 ignored even when enforcing without a secret", async (_name, body) => {
    const req = new Request(CALLBACK_URL, { method: "POST", body });
    const res = await fetchWithEnv(req, { OMISELL_PUSH_SECRET: "" });
    expect(res.status).toBe(200);
    expect(res.headers.get("Push-Status")).toBe("ignored");
  });
});

describe("missing or wrong signature (enforce)", () => {
  it.each([
    ["no Authorization header", null],
    ["an empty Authorization header", ""],
    ["a digest of the wrong secret", "wrong-secret"],
    ["a malformed digest", "not-hex"],
    ["a truncated digest", "ab".repeat(31)],
  ])("answers %s with 401 invalid_signature and stores nothing", async (_name, how) => {
    const push = samplePush();
    const options = how === "wrong-secret" ? { secret: "wrong-secret" } : { authorization: how as string | null };
    const res = await sendPush(push, options);
    expect(res.status).toBe(401);
    expect(await res.json()).toEqual({ error: "invalid_signature" });
    expect(await countEvents("request_id = ?", push.request_id)).toBe(0);
  });

  it("rejects a signature made over a different URL", async () => {
    const push = samplePush();
    const req = await signedRequest(push, { signUrl: "https://elsewhere.example/webhooks/omisell" });
    const res = await fetchWithEnv(req, {});
    expect(res.status).toBe(401);
  });

  it("accepts an upper-case hex digest (the bytes are what count)", async () => {
    const push = samplePush();
    const req = await signedRequest(push);
    const upper = new Request(req, {
      headers: {
        ...Object.fromEntries(req.headers),
        authorization: (req.headers.get("authorization") as string).toUpperCase(),
      },
    });
    const res = await fetchWithEnv(upper, {});
    expect(res.headers.get("Push-Status")).toBe("accepted");
  });
});

describe("body over 256 KiB", () => {
  it("answers 413 payload_too_large, declared by Content-Length, and stores nothing", async () => {
    const before = await countEvents();
    const body = JSON.stringify({ ...samplePush(), pad: "x".repeat(256 * KIB) });
    const res = await sendPush(body);
    expect(res.status).toBe(413);
    expect(await res.json()).toEqual({ error: "payload_too_large" });
    expect(await countEvents()).toBe(before);
  });

  it("answers 413 when a streamed body without Content-Length runs over", async () => {
    const chunk = new TextEncoder().encode("x".repeat(64 * KIB));
    let sent = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent++ < 5) controller.enqueue(chunk);
        else controller.close();
      },
    });
    const req = new Request(CALLBACK_URL, { method: "POST", body: stream, headers: { authorization: "0".repeat(64) } });
    const res = await fetchWithEnv(req, {});
    expect(res.status).toBe(413);
  });

  it("accepts a body of exactly 256 KiB", async () => {
    const base = JSON.stringify({ ...samplePush(), pad: "" });
    const body = base.replace('"pad":""', `"pad":"${"y".repeat(256 * KIB - base.length)}"`);
    expect(new TextEncoder().encode(body).byteLength).toBe(256 * KIB);
    const res = await sendPush(body);
    expect(res.status).toBe(200);
  });
});

describe("signed, but not a JSON object or no event name", () => {
  it.each([
    ["not JSON", "this is not json"],
    ["a JSON array", "[1,2,3]"],
    ["JSON null", "null"],
    ["a JSON string", '"order.created"'],
    ["an object without an event name", JSON.stringify({ request_id: "no-event", data: {} })],
    ["an event name that is not a string", JSON.stringify({ request_id: "num-event", event: 42 })],
    ["a request_id of 20 KB", JSON.stringify({ request_id: "r".repeat(20_000), event: "order.created" })],
  ])("answers %s with 200 Push-Status invalid, an empty body, and stores it once as invalid", async (_name, body) => {
    const unique = `${body} `.repeat(1) + " ".repeat(Math.floor(Math.random() * 50));
    const first = await sendPush(unique);
    expect(first.status).toBe(200);
    expect(first.headers.get("Push-Status")).toBe("invalid");
    expect(await first.text()).toBe("");
    const id = first.headers.get("Push-Event-Id") as string;
    const row = await eventRow(id);
    expect(row).toMatchObject({ status: "invalid", category: "invalid", payload: unique, signature_valid: 1 });
    expect(String(row?.last_error).length).toBeGreaterThan(0);
    expect(row?.dedupe_key).toMatch(/^sha256:/);

    const again = await sendPush(unique);
    expect(again.status).toBe(200);
    expect(again.headers.get("Push-Status")).toBe("invalid");
    expect(again.headers.get("Push-Event-Id")).toBe(id);
    expect(await countEvents("dedupe_key = ?", row?.dedupe_key)).toBe(1);
  });

  it("does not store an unsigned invalid body", async () => {
    const before = await countEvents();
    const res = await sendPush("[not signed]", { authorization: null });
    expect(res.status).toBe(401);
    expect(await countEvents()).toBe(before);
  });
});

describe("an event name outside the catalogue", () => {
  it("is accepted and classified by its prefix, its resource following the category", async () => {
    const push = samplePush("order.teleported");
    const res = await sendPush(push);
    expect(res.status).toBe(200);
    expect(res.headers.get("Push-Status")).toBe("accepted");
    expect(await eventRow(res.headers.get("Push-Event-Id") as string)).toMatchObject({
      event: "order.teleported",
      category: "order",
      resource_type: "order",
      resource_id: push.data.omisell_order_number,
      status: "received",
    });
  });

  it("is accepted with category unknown and no resource when no prefix matches", async () => {
    const push = samplePush("orders.teleported");
    const res = await sendPush(push);
    expect(res.headers.get("Push-Status")).toBe("accepted");
    expect(await eventRow(res.headers.get("Push-Event-Id") as string)).toMatchObject({
      event: "orders.teleported",
      category: "unknown",
      resource_type: null,
      resource_id: null,
      order_number: push.data.omisell_order_number,
      status: "received",
    });
  });
});

describe("the callback URL saved with a trailing slash", () => {
  it("still reaches the push endpoint, signed over the URL as saved", async () => {
    const url = `${CALLBACK_URL}/`;
    const res = await fetchWithEnv(await signedRequest(samplePush(), { url }), { PUBLIC_CALLBACK_URL: url });
    expect(res.headers.get("Push-Status")).toBe("accepted");
  });
});

describe("other methods", () => {
  it.each(["GET", "PUT", "PATCH", "DELETE"])("answers %s with 405 and Allow: POST", async (method) => {
    const res = await fetchWithEnv(new Request(CALLBACK_URL, { method }), {});
    expect(res.status).toBe(405);
    expect(res.headers.get("Allow")).toBe("POST");
  });
});

describe("configuration", () => {
  it("answers 503 not_configured when enforcing without a push secret, and stores nothing", async () => {
    const push = samplePush();
    const res = await fetchWithEnv(await signedRequest(push), { OMISELL_PUSH_SECRET: "" });
    expect(res.status).toBe(503);
    expect(await res.json()).toMatchObject({ error: "not_configured" });
    expect(await countEvents("request_id = ?", push.request_id)).toBe(0);
  });

  it("accepts pushes signed with any of several comma-separated secrets (rotation)", async () => {
    const overrides = { OMISELL_PUSH_SECRET: "old-secret, new-secret" };
    const a = await fetchWithEnv(await signedRequest(samplePush(), { secret: "old-secret" }), overrides);
    const b = await fetchWithEnv(await signedRequest(samplePush(), { secret: "new-secret" }), overrides);
    const c = await fetchWithEnv(await signedRequest(samplePush(), { secret: "other-secret" }), overrides);
    expect([a.status, b.status, c.status]).toEqual([200, 200, 401]);
  });

  it("signs over PUBLIC_CALLBACK_URL, not the URL the request arrived on", async () => {
    const publicUrl = "https://push.seller.example/hooks/omisell?shop=vn";
    const req = await signedRequest(samplePush(), {
      url: "http://internal.example/webhooks/omisell",
      signUrl: publicUrl,
    });
    const res = await fetchWithEnv(req, { PUBLIC_CALLBACK_URL: publicUrl });
    expect(res.headers.get("Push-Status")).toBe("accepted");
  });

  it("uses the request URL when PUBLIC_CALLBACK_URL is not set", async () => {
    const url = "http://127.0.0.1:8787/webhooks/omisell";
    const ok = await fetchWithEnv(await signedRequest(samplePush(), { url }), { PUBLIC_CALLBACK_URL: "" });
    const bad = await fetchWithEnv(await signedRequest(samplePush(), { url, signUrl: CALLBACK_URL }), {
      PUBLIC_CALLBACK_URL: "",
    });
    expect([ok.status, bad.status]).toEqual([200, 401]);
  });

  it("in report mode accepts a wrongly signed push and records signature_valid = 0", async () => {
    const res = await fetchWithEnv(await signedRequest(samplePush(), { secret: "wrong" }), {
      SIGNATURE_MODE: "report",
    });
    expect(res.headers.get("Push-Status")).toBe("accepted");
    expect(await eventRow(res.headers.get("Push-Event-Id") as string)).toMatchObject({ signature_valid: 0 });
  });

  it("in report mode records signature_valid = 1 for a good signature", async () => {
    const res = await fetchWithEnv(await signedRequest(samplePush()), { SIGNATURE_MODE: "report" });
    expect(await eventRow(res.headers.get("Push-Event-Id") as string)).toMatchObject({ signature_valid: 1 });
  });

  it("with SIGNATURE_MODE off accepts unsigned pushes and records signature_valid as not checked", async () => {
    const push = samplePush();
    const req = new Request(CALLBACK_URL, { method: "POST", body: JSON.stringify(push) });
    const res = await fetchWithEnv(req, { SIGNATURE_MODE: "off", OMISELL_PUSH_SECRET: "" });
    expect(res.headers.get("Push-Status")).toBe("accepted");
    expect(await eventRow(res.headers.get("Push-Event-Id") as string)).toMatchObject({ signature_valid: null });
  });

  it("keeps storing pushes when a setting the push path does not use is unusable", async () => {
    const res = await fetchWithEnv(await signedRequest(samplePush()), {
      FOLLOWUP_PARALLELISM: "5000",
      OMISELL_AUTH_MODE: "Account",
    });
    expect(res.headers.get("Push-Status")).toBe("accepted");
  });

  it("answers 503 not_configured for an unusable SIGNATURE_MODE", async () => {
    const res = await fetchWithEnv(await signedRequest(samplePush()), { SIGNATURE_MODE: "maybe" });
    expect(res.status).toBe(503);
    expect(await res.json()).toMatchObject({ error: "not_configured" });
  });
});

describe("follow-up", () => {
  it("is enqueued with the event id once the push is stored", async () => {
    const sent: string[] = [];
    const steps: PushSteps = {
      ...livePushSteps,
      enqueue: async (queue, eventId, reason) => {
        sent.push(`${eventId}:${reason}`);
        return livePushSteps.enqueue(queue, eventId, reason);
      },
    };
    const res = await sendPush(samplePush(), { steps });
    expect(sent).toEqual([`${res.headers.get("Push-Event-Id")}:push`]);
    await sendPush(samplePush("order.teleported"), { steps });
    expect(sent).toHaveLength(2);
  });

  it("has the queue binding the worker sends to", () => {
    expect(typeof env.FOLLOWUPS.send).toBe("function");
  });
});
