/**
 * Both signature schemes seen in the field: HMAC-SHA256 of `url|body`, and the static secret in
 * Authorization. `SIGNATURE_SCHEME` = auto (either), hmac or static; rotation (several secrets)
 * works for both; each stored event says which scheme matched, and the static secret, which
 * travels in the header, is never stored or shown.
 */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { equalsOneOf } from "../src/lib/crypto";
import { checkPushSignature, signPush } from "../src/push/signature";
import { CALLBACK_URL, eventRow, fetchWithEnv, samplePush, toBytes } from "./helpers/push";
import { apiGet, json, READ_TOKEN } from "./helpers/read-api";
import { sessionCookie } from "./helpers/session";

const OLD = "old-static-secret-1f2e";
const NEW = "new-static-secret-9a8b";
const ROTATING = { OMISELL_PUSH_SECRET: `${OLD}, ${NEW}` };
const body = toBytes({ event: "order.created", request_id: "r-1" });

const check = (authorization: string | null, scheme: "auto" | "hmac" | "static", secrets = [OLD, NEW]) =>
  checkPushSignature(secrets, CALLBACK_URL, body, authorization, scheme);

describe("checkPushSignature, static scheme", () => {
  it("passes the right secret and says it matched as static", async () => {
    expect(await check(OLD, "static")).toEqual({ ok: true, value: "static" });
  });

  it("refuses a wrong secret", async () => {
    expect(await check("not-the-secret", "static")).toEqual({ ok: false, reason: "mismatch" });
  });

  it("refuses a prefix of the secret", async () => {
    expect(await check(OLD.slice(0, -1), "static")).toEqual({ ok: false, reason: "mismatch" });
    expect(await check(OLD.slice(0, 1), "static")).toEqual({ ok: false, reason: "mismatch" });
  });

  it("refuses a header that has the secret as its prefix", async () => {
    expect(await check(`${OLD}x`, "static")).toEqual({ ok: false, reason: "mismatch" });
    expect(await check(`${OLD} ${NEW}`, "static")).toEqual({ ok: false, reason: "mismatch" });
  });

  it("passes the second secret during a rotation", async () => {
    expect(await check(NEW, "static")).toEqual({ ok: true, value: "static" });
  });

  it("refuses an HMAC signature when pinned to static", async () => {
    expect((await check(await signPush(OLD, CALLBACK_URL, body), "static")).ok).toBe(false);
  });

  it("compares every secret, whichever matches (a match on the first still checks the rest)", async () => {
    expect(await equalsOneOf(OLD, [OLD, NEW, "third"])).toBe(true);
    expect(await equalsOneOf("third", [OLD, NEW, "third"])).toBe(true);
    expect(await equalsOneOf(OLD, [])).toBe(false);
  });
});

describe("checkPushSignature, HMAC scheme", () => {
  it("passes an HMAC with the first secret and says it matched as hmac", async () => {
    expect(await check(await signPush(OLD, CALLBACK_URL, body), "hmac")).toEqual({ ok: true, value: "hmac" });
  });

  it("passes an HMAC with the second secret during a rotation", async () => {
    expect(await check(await signPush(NEW, CALLBACK_URL, body), "hmac")).toEqual({ ok: true, value: "hmac" });
  });

  it("refuses an HMAC with a wrong secret", async () => {
    expect(await check(await signPush("wrong", CALLBACK_URL, body), "hmac")).toEqual({
      ok: false,
      reason: "mismatch",
    });
  });

  it("refuses the static secret when pinned to hmac, as a header that holds no digest", async () => {
    expect(await check(OLD, "hmac")).toEqual({ ok: false, reason: "malformed" });
  });

  it("refuses a secret of 64 hex digits sent as is when pinned to hmac", async () => {
    const hexSecret = "ab".repeat(32);
    expect((await check(hexSecret, "hmac", [hexSecret])).ok).toBe(false);
  });
});

describe("checkPushSignature, auto", () => {
  it("passes an HMAC as hmac", async () => {
    expect(await check(await signPush(NEW, CALLBACK_URL, body), "auto")).toEqual({ ok: true, value: "hmac" });
  });

  it("passes the static secret as static", async () => {
    expect(await check(NEW, "auto")).toEqual({ ok: true, value: "static" });
  });

  it("passes a secret of 64 hex digits sent as is, as static", async () => {
    const hexSecret = "cd".repeat(32);
    expect(await check(hexSecret, "auto", [hexSecret])).toEqual({ ok: true, value: "static" });
  });

  it("refuses a header that matches neither scheme", async () => {
    expect(await check("ab".repeat(32), "auto")).toEqual({ ok: false, reason: "mismatch" });
    expect(await check("Bearer nope", "auto")).toEqual({ ok: false, reason: "mismatch" });
  });

  it("refuses a missing header, and says so", async () => {
    expect(await check(null, "auto")).toEqual({ ok: false, reason: "missing" });
  });
});

/** A push with the given Authorization (or an HMAC by `hmacSecret`), through the worker with `vars`. */
async function push(vars: Record<string, string>, auth: { header?: string; hmacSecret?: string }) {
  const bytes = toBytes(samplePush("order.created"));
  const authorization = auth.header ?? (await signPush(auth.hmacSecret ?? OLD, CALLBACK_URL, bytes));
  const request = new Request(CALLBACK_URL, {
    method: "POST",
    headers: { "content-type": "application/json", authorization },
    body: bytes,
  });
  const res = await fetchWithEnv(request, { ...ROTATING, ...vars });
  const id = res.headers.get("Push-Event-Id");
  return { res, row: id ? await eventRow(id) : null, id };
}

describe("the push endpoint under SIGNATURE_SCHEME", () => {
  it("accepts the static secret by default (auto) and records signature_scheme static", async () => {
    const { res, row } = await push({}, { header: NEW });
    expect(res.headers.get("Push-Status")).toBe("accepted");
    expect(row).toMatchObject({ signature_valid: 1, signature_scheme: "static" });
  });

  it("accepts an HMAC by default (auto) and records signature_scheme hmac", async () => {
    const { res, row } = await push({}, { hmacSecret: NEW });
    expect(res.headers.get("Push-Status")).toBe("accepted");
    expect(row).toMatchObject({ signature_valid: 1, signature_scheme: "hmac" });
  });

  it("pinned to hmac, answers a static secret 401 and stores nothing", async () => {
    const { res, id } = await push({ SIGNATURE_SCHEME: "hmac" }, { header: OLD });
    expect(res.status).toBe(401);
    expect(await res.json()).toEqual({ error: "invalid_signature" });
    expect(id).toBeNull();
  });

  it("pinned to static, answers an HMAC 401", async () => {
    const { res } = await push({ SIGNATURE_SCHEME: "static" }, { hmacSecret: OLD });
    expect(res.status).toBe(401);
  });

  it("pinned to static, accepts the second secret of a rotation", async () => {
    const { res, row } = await push({ SIGNATURE_SCHEME: "static" }, { header: NEW });
    expect(res.headers.get("Push-Status")).toBe("accepted");
    expect(row).toMatchObject({ signature_scheme: "static" });
  });

  it("answers a wrong static secret 401", async () => {
    const { res } = await push({}, { header: `${OLD}-guess` });
    expect(res.status).toBe(401);
  });

  it("refuses a configuration with an unknown scheme rather than guessing", async () => {
    const { res } = await push({ SIGNATURE_SCHEME: "none" }, { header: OLD });
    expect(res.status).toBe(503);
    expect(await res.json()).toMatchObject({ error: "not_configured" });
  });

  it("in report mode, records the scheme that matched", async () => {
    const { row } = await push({ SIGNATURE_MODE: "report" }, { header: OLD });
    expect(row).toMatchObject({ signature_valid: 1, signature_scheme: "static" });
  });

  it("in report mode, keeps a push that matches nothing with signature_scheme null", async () => {
    const { res, row } = await push({ SIGNATURE_MODE: "report" }, { header: "forged" });
    expect(res.headers.get("Push-Status")).toBe("accepted");
    expect(row).toMatchObject({ signature_valid: 0, signature_scheme: null });
  });

  it("in off mode, records neither validity nor scheme", async () => {
    const { row } = await push({ SIGNATURE_MODE: "off" }, { header: OLD });
    expect(row).toMatchObject({ signature_valid: null, signature_scheme: null });
  });

  it("shows the scheme in the read API", async () => {
    const { id } = await push({}, { header: OLD });
    const detail = await json(await apiGet(`/api/events/${id}`));
    expect(detail).toMatchObject({ signature_valid: true, signature_scheme: "static" });
  });

  it("never stores or shows the static secret, which travels in the header", async () => {
    const { id } = await push({}, { header: OLD });
    const stored = await env.DB.prepare("SELECT * FROM events WHERE id = ?1").bind(id).first();
    expect(JSON.stringify(stored)).not.toContain(OLD);
    expect(await (await apiGet(`/api/events/${id}`)).text()).not.toContain(OLD);
    const page = await apiGet(`/dashboard/events/${id}`, null, { cookie: await sessionCookie(READ_TOKEN) });
    expect(page.status).toBe(200);
    expect(await page.text()).not.toContain(OLD);
  });
});
