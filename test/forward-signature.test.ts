/**
 * Signing of forwarded deliveries, checked against the `standardwebhooks` package (an
 * independent implementation of Standard Webhooks), loaded here in the Workers runtime.
 */
import { Webhook } from "standardwebhooks";
import { describe, expect, it } from "vitest";
import { signDelivery, webhookHeaders } from "../src/lib/standard-webhooks";
import { decodeWebhookSecret } from "../src/lib/webhook-secret";
import { TEST_FORWARD_SECRET } from "./helpers/forward";

const key = decodeWebhookSecret(TEST_FORWARD_SECRET) as Uint8Array;
const body = JSON.stringify({ type: "order.shipped", timestamp: "2026-11-30T04:00:00.000Z", data: { order: null } });
const id = "01JDELIVERY0000000000000000";

function nowSeconds() {
  return Math.floor(Date.now() / 1000);
}

describe("the forwarding secret", () => {
  it("decodes whsec_ + base64 into the key bytes", () => {
    expect(Array.from(key)).toEqual(Array.from({ length: 32 }, (_, i) => i));
  });

  it.each([
    ["without the whsec_ prefix", TEST_FORWARD_SECRET.slice("whsec_".length)],
    ["that is not base64", "whsec_not base64 at all!"],
    ["of fewer than 24 bytes", `whsec_${btoa("x".repeat(23))}`],
    ["that is empty after the prefix", "whsec_"],
  ])("refuses a secret %s", (_case, secret) => {
    expect(decodeWebhookSecret(secret)).toBeNull();
  });
});

describe("a delivery's signature", () => {
  it("is the one the standardwebhooks package computes for the same id, time and body", async () => {
    const timestamp = 1_764_475_200;
    const expected = new Webhook(TEST_FORWARD_SECRET).sign(id, new Date(timestamp * 1000), body);
    expect(await signDelivery(key, id, timestamp, body)).toBe(expected);
  });

  it("is accepted by the standardwebhooks verifier with the headers sent", async () => {
    const headers = await webhookHeaders(key, id, nowSeconds(), body);
    expect(new Webhook(TEST_FORWARD_SECRET).verify(body, headers)).toEqual(JSON.parse(body));
  });

  it("is rejected by the verifier when the body was changed", async () => {
    const headers = await webhookHeaders(key, id, nowSeconds(), body);
    expect(() => new Webhook(TEST_FORWARD_SECRET).verify(body.replace("shipped", "canceled"), headers)).toThrow();
  });

  it("is rejected by the verifier when the timestamp was changed", async () => {
    const headers = await webhookHeaders(key, id, nowSeconds(), body);
    const moved = { ...headers, "webhook-timestamp": String(nowSeconds() - 1) };
    expect(() => new Webhook(TEST_FORWARD_SECRET).verify(body, moved)).toThrow();
  });

  it("is rejected by the verifier when the id was changed", async () => {
    const headers = await webhookHeaders(key, id, nowSeconds(), body);
    expect(() => new Webhook(TEST_FORWARD_SECRET).verify(body, { ...headers, "webhook-id": `${id}X` })).toThrow();
  });

  it("is rejected by the verifier under another secret", async () => {
    const headers = await webhookHeaders(key, id, nowSeconds(), body);
    const other = `whsec_${btoa("y".repeat(32))}`;
    expect(() => new Webhook(other).verify(body, headers)).toThrow();
  });
});
