/**
 * The signature vectors of the Omisell fixtures: verified directly, and through the endpoint
 * with PUBLIC_CALLBACK_URL set to the vector's URL (the bytes signed are the bytes sent).
 */
import { describe, expect, it } from "vitest";
import {
  checkPushSignature,
  decodeHexDigest,
  readSignatureHeader,
  signPush,
  verifyPushSignature,
} from "../src/push/signature";
import vectors from "./fixtures/signature-vectors.json";
import { fetchWithEnv } from "./helpers/push";

const bytes = (text: string) => new TextEncoder().encode(text);

function vectorRequest(vector: (typeof vectors.vectors)[number]) {
  return new Request(vector.callback_url, {
    method: "POST",
    headers: { authorization: vector.authorization, "content-type": "application/json" },
    body: vector.raw_body,
  });
}

describe("signature vectors", () => {
  it.each(vectors.vectors.map((v) => [v.name, v] as const))("accepts %s", async (_name, vector) => {
    expect(
      await verifyPushSignature([vectors.secret], vector.callback_url, bytes(vector.raw_body), vector.authorization),
    ).toBe(true);
    expect(await signPush(vectors.secret, vector.callback_url, bytes(vector.raw_body))).toBe(vector.authorization);
  });

  it.each(vectors.negative.map((v) => [v.name, v] as const))("rejects %s", async (_name, vector) => {
    expect(
      await verifyPushSignature([vectors.secret], vector.callback_url, bytes(vector.raw_body), vector.authorization),
    ).toBe(false);
  });

  it.each(vectors.vectors.map((v) => [v.name, v] as const))("the endpoint accepts %s", async (_name, vector) => {
    const res = await fetchWithEnv(vectorRequest(vector), {
      OMISELL_PUSH_SECRET: vectors.secret,
      PUBLIC_CALLBACK_URL: vector.callback_url,
    });
    expect(res.status).toBe(200);
    expect(["accepted", "duplicate"]).toContain(res.headers.get("Push-Status"));
  });

  it.each(vectors.negative.map((v) => [v.name, v] as const))(
    "the endpoint rejects %s with 401",
    async (_name, vector) => {
      const res = await fetchWithEnv(vectorRequest(vector), {
        OMISELL_PUSH_SECRET: vectors.secret,
        PUBLIC_CALLBACK_URL: vector.callback_url,
      });
      expect(res.status).toBe(401);
    },
  );

  it("signs the UTF-8 bytes: the same text re-serialised does not verify", async () => {
    const vector = vectors.vectors[1] as (typeof vectors.vectors)[number];
    const reserialised = JSON.stringify(JSON.parse(vector.raw_body), null, 1);
    expect(
      await verifyPushSignature([vectors.secret], vector.callback_url, bytes(reserialised), vector.authorization),
    ).toBe(false);
  });
});

describe("reading the Authorization header", () => {
  it("accepts a bare digest in either case", () => {
    const digest = "ab".repeat(32);
    expect(readSignatureHeader(digest)).toEqual(decodeHexDigest(digest));
    expect(readSignatureHeader(digest.toUpperCase())).toEqual(decodeHexDigest(digest));
  });

  it("accepts a digest behind a scheme prefix such as sha256=", () => {
    expect(readSignatureHeader(`sha256=${"0f".repeat(32)}`)?.[0]).toBe(0x0f);
  });

  it.each([null, "", "xyz", "ab".repeat(31), `${"ab".repeat(32)}ff`.slice(0, 63), "g".repeat(64)])(
    "rejects %j",
    (value) => {
      expect(readSignatureHeader(value)).toBeNull();
    },
  );

  it("fails closed with no secret configured", async () => {
    const v = vectors.vectors[0] as (typeof vectors.vectors)[number];
    expect(await verifyPushSignature([], v.callback_url, bytes(v.raw_body), v.authorization)).toBe(false);
  });
});

describe("why a signature check failed", () => {
  const v = vectors.vectors[0] as (typeof vectors.vectors)[number];
  const check = (secrets: string[], authorization: string | null) =>
    checkPushSignature(secrets, v.callback_url, bytes(v.raw_body), authorization);

  it("passes with a matching signature", async () => {
    expect(await check([vectors.secret], v.authorization)).toEqual({ ok: true, value: "hmac" });
  });

  it("says not_configured when no secret is set", async () => {
    expect(await check([], v.authorization)).toEqual({ ok: false, reason: "not_configured" });
  });

  it("says missing when there is no Authorization header", async () => {
    expect(await check([vectors.secret], null)).toEqual({ ok: false, reason: "missing" });
  });

  it("says malformed when the header holds no 64-digit hex digest", async () => {
    expect(await check([vectors.secret], "Bearer not-a-digest")).toEqual({ ok: false, reason: "malformed" });
  });

  it("says mismatch when the digest matches no secret", async () => {
    expect(await check(["another-secret"], v.authorization)).toEqual({ ok: false, reason: "mismatch" });
  });
});
