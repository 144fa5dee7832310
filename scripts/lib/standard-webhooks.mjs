// @ts-check
/**
 * Checks a Standard Webhooks signature the way a destination of omisell-push's forwarding does:
 * `webhook-signature` holds space-separated `v1,<base64 HMAC-SHA256(key, id.timestamp.body)>`,
 * the key being the base64 after `whsec_` in the secret. Node's crypto, for the local receiver.
 */
import { createHmac, timingSafeEqual } from "node:crypto";

/** The HMAC key of a `whsec_<base64>` secret (a bare base64 secret is accepted too). */
export function secretKey(/** @type {string} */ secret) {
  const key = Buffer.from(secret.startsWith("whsec_") ? secret.slice("whsec_".length) : secret, "base64");
  if (key.length === 0) throw new Error("the secret must be whsec_ followed by base64");
  return key;
}

/**
 * Why a delivery fails verification, or null when it passes.
 * @param {Buffer} key
 * @param {{ id?: string | null, timestamp?: string | null, signature?: string | null }} headers
 * @param {Buffer | string} body the raw bytes received
 * @param {{ nowSeconds?: number, toleranceSeconds?: number }} [options] tolerance 0 = any age
 * @returns {string | null}
 */
export function signatureProblem(key, headers, body, options = {}) {
  const { id, timestamp, signature } = headers;
  if (!id || !timestamp || !signature) return "missing webhook-id, webhook-timestamp or webhook-signature";
  if (!/^\d+$/.test(timestamp)) return "webhook-timestamp is not whole seconds";
  const tolerance = options.toleranceSeconds ?? 300;
  const now = options.nowSeconds ?? Math.floor(Date.now() / 1000);
  if (tolerance > 0 && Math.abs(now - Number(timestamp)) > tolerance) return "webhook-timestamp too far from now";
  const expected = createHmac("sha256", key).update(`${id}.${timestamp}.`).update(body).digest();
  for (const part of signature.split(" ")) {
    const [version, value] = part.split(",", 2);
    if (version !== "v1" || !value) continue;
    const given = Buffer.from(value, "base64");
    if (given.length === expected.length && timingSafeEqual(given, expected)) return null;
  }
  return "no v1 signature matches";
}
