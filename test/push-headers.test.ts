/**
 * The request headers kept with a push for debugging: an allow-list, capped, never a credential;
 * stored as JSON in `headers`, shown as an object by GET /api/events/{id} and on the event page.
 * `seller_id` falls back to the Seller-ID header when the body has none.
 */
import { describe, expect, it } from "vitest";
import {
  isKeptHeader,
  keptHeaders,
  MAX_HEADER_VALUE,
  MAX_HEADERS_TOTAL,
  MAX_KEPT_HEADERS,
} from "../src/push/request-headers";
import { signPush } from "../src/push/signature";
import { decodeHeaders, encodeHeaders } from "../src/store/event-columns";
import { CALLBACK_URL, eventRow, fetchWithEnv, PUSH_SECRET, samplePush, sendPush, toBytes } from "./helpers/push";
import { apiGet, json, READ_TOKEN } from "./helpers/read-api";
import { sessionCookie } from "./helpers/session";

describe("which headers are kept", () => {
  it.each([
    "Content-Type",
    "User-Agent",
    "Seller-ID",
    "Country",
    "Request-Id",
    "X-Request-Id",
    "X-Omisell-Event",
    "X-Amzn-Request-Id",
  ])("keeps %s", (name) => {
    expect(isKeptHeader(name)).toBe(true);
  });

  it.each([
    "Authorization",
    "Proxy-Authorization",
    "Cookie",
    "X-Omisell-Signature",
    "X-Omisell-Token",
    "X-Omisell-Secret",
    "X-Omisell-Api-Key",
    "X-Omisell-Key",
    "X-Omisell-Auth",
    "X-Auth-Request-Id-Token",
    "Accept",
    "CF-Connecting-IP",
    "X-Forwarded-For",
    "Host",
  ])("never keeps %s", (name) => {
    expect(isKeptHeader(name)).toBe(false);
  });

  it("keeps the allowed ones by lower-case name, and nothing else", () => {
    const headers = new Headers({
      authorization: "secret-value",
      cookie: "a=b",
      "content-type": "application/json",
      "seller-id": "1001",
      accept: "*/*",
    });
    expect(keptHeaders(headers)).toEqual({ "content-type": "application/json", "seller-id": "1001" });
  });

  it("is null when none is kept", () => {
    expect(keptHeaders(new Headers({ authorization: "x" }))).toBeNull();
  });

  it("cuts each value at its cap", () => {
    const kept = keptHeaders(new Headers({ "user-agent": "u".repeat(5000) }));
    expect(kept?.["user-agent"]).toHaveLength(MAX_HEADER_VALUE);
  });

  it("keeps at most the capped number of headers, and the capped total", () => {
    const many = new Headers();
    for (let i = 0; i < 40; i++) many.set(`x-omisell-h${String(i).padStart(2, "0")}`, "v".repeat(200));
    const kept = keptHeaders(many) ?? {};
    const total = Object.entries(kept).reduce((sum, [name, value]) => sum + name.length + value.length, 0);
    expect(Object.keys(kept).length).toBeLessThanOrEqual(MAX_KEPT_HEADERS);
    expect(Object.keys(kept).length).toBeGreaterThan(0);
    expect(total).toBeLessThanOrEqual(MAX_HEADERS_TOTAL);
  });
});

describe("how headers are stored", () => {
  it("round-trips an object through the column", () => {
    const value = { "seller-id": "1001", country: "VN" };
    expect(decodeHeaders(encodeHeaders(value))).toEqual(value);
  });

  it("stores no headers as NULL, and reads anything but an object of strings as null or without the rest", () => {
    expect(encodeHeaders(null)).toBeNull();
    expect(encodeHeaders({})).toBeNull();
    expect(decodeHeaders("not json")).toBeNull();
    expect(decodeHeaders("[1]")).toBeNull();
    expect(decodeHeaders('{"a":"x","b":1}')).toEqual({ a: "x" });
  });
});

const OMISELL_HEADERS = {
  "content-type": "application/json",
  "user-agent": "Omisell-Webhook/1.0",
  "seller-id": "1001",
  country: "VN",
  "x-request-id": "hdr-req-1",
  cookie: "session=abc",
};

describe("a push with Omisell's headers", () => {
  it("is stored with the allowed headers and without Authorization or Cookie", async () => {
    const res = await sendPush(samplePush(), { headers: OMISELL_HEADERS });
    const row = await eventRow(res.headers.get("Push-Event-Id") as string);
    const stored = JSON.parse(String(row?.headers));
    expect(stored).toEqual({
      "content-type": "application/json",
      "user-agent": "Omisell-Webhook/1.0",
      "seller-id": "1001",
      country: "VN",
      "x-request-id": "hdr-req-1",
    });
    expect(String(row?.headers)).not.toMatch(/authorization|cookie/i);
  });

  it("shows them as an object in GET /api/events/{id}", async () => {
    const res = await sendPush(samplePush(), { headers: OMISELL_HEADERS });
    const detail = await json<{ headers: Record<string, string> }>(
      await apiGet(`/api/events/${res.headers.get("Push-Event-Id")}`),
    );
    expect(detail.headers).toMatchObject({ "seller-id": "1001", country: "VN", "user-agent": "Omisell-Webhook/1.0" });
    expect(detail.headers).not.toHaveProperty("authorization");
  });

  it("keeps headers on an invalid push too, for debugging what Omisell sent", async () => {
    const res = await sendPush(`not json ${crypto.randomUUID()}`, { headers: OMISELL_HEADERS });
    expect(res.headers.get("Push-Status")).toBe("invalid");
    const row = await eventRow(res.headers.get("Push-Event-Id") as string);
    expect(JSON.parse(String(row?.headers))).toMatchObject({ country: "VN" });
  });

  it("shows them on the dashboard event page", async () => {
    const res = await sendPush(samplePush(), { headers: OMISELL_HEADERS });
    const page = await apiGet(`/dashboard/events/${res.headers.get("Push-Event-Id")}`, null, {
      cookie: await sessionCookie(READ_TOKEN),
    });
    const html = await page.text();
    expect(html).toContain("Request headers");
    expect(html).toContain("Omisell-Webhook/1.0");
    expect(html).not.toContain("session=abc");
  });

  it("stores NULL and shows an empty object when no header was kept", async () => {
    const bytes = toBytes(samplePush());
    const authorization = await signPush(PUSH_SECRET, CALLBACK_URL, bytes);
    const res = await fetchWithEnv(
      new Request(CALLBACK_URL, { method: "POST", headers: { authorization }, body: bytes }),
      {},
    );
    const id = res.headers.get("Push-Event-Id") as string;
    expect((await eventRow(id))?.headers).toBeNull();
    expect(await json(await apiGet(`/api/events/${id}`))).toMatchObject({ headers: {} });
  });
});

describe("seller_id", () => {
  it("comes from the Seller-ID header when the body has none", async () => {
    const { seller_id: _omitted, ...push } = samplePush();
    const res = await sendPush(push, { headers: { "Seller-ID": "2002" } });
    expect(await eventRow(res.headers.get("Push-Event-Id") as string)).toMatchObject({ seller_id: "2002" });
  });

  it("comes from the body when both are there", async () => {
    const res = await sendPush(samplePush(), { headers: { "Seller-ID": "2002" } });
    expect(await eventRow(res.headers.get("Push-Event-Id") as string)).toMatchObject({ seller_id: "1001" });
  });
});
