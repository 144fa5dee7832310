/**
 * `decidePush`, the push endpoint's decision without I/O: called directly with bytes, headers and
 * a configuration, so each rule of the contract is checked without a request or a database.
 */
import { describe, expect, it } from "vitest";
import type { PushConfig } from "../src/config";
import { decidePush } from "../src/push/decide";
import { signPush } from "../src/push/signature";

const URL_ = "https://omisell-push.example.workers.dev/webhooks/omisell";
const SECRET = "decide-secret";
const NOW = 1_732_780_800_000;
const config = (overrides: Partial<PushConfig> = {}): PushConfig => ({
  secrets: [SECRET],
  signatureMode: "enforce",
  signatureScheme: "auto",
  publicCallbackUrl: undefined,
  claimLeaseMs: 30_000,
  ...overrides,
});
const encode = (value: string | object) =>
  new TextEncoder().encode(typeof value === "string" ? value : JSON.stringify(value));

async function decide(
  body: string | object,
  options: { sign?: boolean; headers?: Record<string, string>; config?: PushConfig } = {},
) {
  const bytes = encode(body);
  const headers = new Headers(options.headers);
  if (options.sign !== false) headers.set("authorization", await signPush(SECRET, URL_, bytes));
  return decidePush({ bytes, url: URL_, headers }, options.config ?? config(), NOW);
}

const push = { request_id: "r-1", event: "order.shipped", seller_id: 7, data: { omisell_order_number: "OM1" } };

describe("decidePush", () => {
  it("answers an empty body as a URL check, signed or not", async () => {
    expect(await decide("  ", { sign: false })).toMatchObject({ kind: "ping", trigger: "empty_body" });
  });

  it("answers a verify_info body as a URL check even without a valid signature", async () => {
    const decision = await decide({ data: { verify_info: "x" } }, { sign: false });
    expect(decision).toMatchObject({ kind: "ping", trigger: "verify_info", signed: false });
  });

  it("refuses a push when enforce mode has no secret", async () => {
    const decision = await decide(push, { sign: false, config: config({ secrets: [] }) });
    expect(decision).toEqual({ kind: "rejected", reason: "not_configured", signature: null });
  });

  it("refuses an unsigned push in enforce mode, saying the header is missing", async () => {
    expect(await decide(push, { sign: false })).toEqual({
      kind: "rejected",
      reason: "invalid_signature",
      signature: "missing",
    });
  });

  it("accepts a wrongly signed push in report mode, recording the signature as invalid", async () => {
    const decision = await decide(push, {
      headers: { authorization: "0".repeat(64) },
      sign: false,
      config: config({ signatureMode: "report" }),
    });
    expect(decision).toMatchObject({ kind: "accepted", signature: "mismatch", row: { signature_valid: false } });
  });

  it("accepts a signed push with the row it is stored as, keyed by its request id", async () => {
    const decision = await decide(push);
    expect(decision).toMatchObject({
      kind: "accepted",
      signature: null,
      row: {
        dedupe_key: "r-1",
        request_id: "r-1",
        event: "order.shipped",
        category: "order",
        seller_id: "7",
        order_number: "OM1",
        status: "received",
        signature_valid: true,
        signature_scheme: "hmac",
        source: "push",
        received_at: NOW,
        payload: JSON.stringify(push),
      },
    });
  });

  it("keys a push without a request id by the hash of its body", async () => {
    const decision = await decide({ event: "order.created" });
    expect(decision.kind === "accepted" && decision.row.dedupe_key).toMatch(/^sha256:[0-9a-f]{64}$/);
  });

  it("gives the row an id that starts with the arrival time", async () => {
    const a = await decide(push);
    const b = await decide({ ...push, request_id: "r-2" });
    const ids = [a, b].map((d) => (d.kind === "accepted" ? d.row.id : ""));
    expect(ids[0]?.slice(0, 10)).toBe(ids[1]?.slice(0, 10));
  });

  it("keeps a signed body that is not JSON as an invalid row with the reason", async () => {
    const decision = await decide("not json", { headers: { "request-id": "h-1" } });
    expect(decision).toMatchObject({
      kind: "invalid",
      reason: "body is not valid JSON",
      row: {
        status: "invalid",
        category: "invalid",
        request_id: "h-1",
        payload: "not json",
        event: null,
        last_error: "body is not valid JSON",
      },
    });
    expect(decision.kind === "invalid" && decision.row.dedupe_key).toMatch(/^sha256:/);
  });

  it("does not check the signature in off mode", async () => {
    const decision = await decide(push, { sign: false, config: config({ signatureMode: "off" }) });
    expect(decision).toMatchObject({ kind: "accepted", signature: null, row: { signature_valid: null } });
  });

  it("accepts the static secret under auto and records the scheme", async () => {
    const decision = await decide(push, { sign: false, headers: { authorization: SECRET } });
    expect(decision).toMatchObject({ kind: "accepted", row: { signature_valid: true, signature_scheme: "static" } });
  });

  it("refuses the static secret when the scheme is pinned to hmac", async () => {
    const decision = await decide(push, {
      sign: false,
      headers: { authorization: SECRET },
      config: config({ signatureScheme: "hmac" }),
    });
    expect(decision).toMatchObject({ kind: "rejected", reason: "invalid_signature" });
  });

  it("refuses an HMAC when the scheme is pinned to static", async () => {
    const decision = await decide(push, { config: config({ signatureScheme: "static" }) });
    expect(decision).toMatchObject({ kind: "rejected", reason: "invalid_signature", signature: "mismatch" });
  });

  it("records no scheme for a push kept in report mode that matched none", async () => {
    const decision = await decide(push, {
      sign: false,
      headers: { authorization: "guess" },
      config: config({ signatureMode: "report" }),
    });
    expect(decision).toMatchObject({ kind: "accepted", row: { signature_valid: false, signature_scheme: null } });
  });

  it("stores the allowed request headers with the row, never Authorization", async () => {
    const decision = await decide(push, { headers: { country: "VN", "seller-id": "7", cookie: "c=1" } });
    expect(decision.kind === "accepted" && decision.row.headers).toEqual({ country: "VN", "seller-id": "7" });
  });

  it("takes the seller id from the Seller-ID header when the body has none", async () => {
    const { seller_id: _omitted, ...withoutSeller } = push;
    const decision = await decide(withoutSeller, { headers: { "seller-id": "9" } });
    expect(decision).toMatchObject({ kind: "accepted", row: { seller_id: "9" } });
  });
});
