/**
 * The dashboard session's value, sealed: role, expiry, a random session id and a fingerprint of
 * the token, signed with HMAC-SHA256. Never the token, nor a plain hash of it.
 */
import type { ApiConfig } from "../config";
import { fromHex, toHex } from "../lib/hex";
import type { Role } from "./tokens";

/** How long a session lasts from sign-in. */
export const SESSION_TTL_MS = 12 * 3600_000;
const FINGERPRINT_BYTES = 16;
const SESSION_ID_BYTES = 16;
const VERSION = "1";
const ROLES: readonly Role[] = ["admin", "read"];

/** What a session cookie says once its signature, expiry and fingerprint have been checked. */
export type Session = { role: Role; id: string; expiresAt: number };

/** The settings a session depends on: the tokens, and SESSION_SECRET when it is set. */
export type SessionSettings = Pick<ApiConfig, "readTokens" | "adminTokens"> & { secret: string | undefined };

type SessionKeys = { seal: CryptoKey; fingerprint: CryptoKey; form: CryptoKey };

const encoder = new TextEncoder();
const keyCache = new Map<string, Promise<SessionKeys>>();
const MAX_CACHED = 16;

/**
 * The three keys of sessions, each derived with HKDF-SHA256 from one input: SESSION_SECRET when it
 * is set, else the configured tokens (both lists, sorted), so a deployment without SESSION_SECRET
 * still has a key nobody outside it knows. Deriving from the tokens means that any change of a
 * token list ends every session (people sign in again); SESSION_SECRET keeps them across such a
 * change, and only removing or moving the token a session was opened with ends that session.
 */
function sessionKeys(settings: SessionSettings): Promise<SessionKeys> {
  const material =
    settings.secret !== undefined
      ? `secret:${settings.secret}`
      : `tokens:${JSON.stringify([[...settings.adminTokens].sort(), [...settings.readTokens].sort()])}`;
  let keys = keyCache.get(material);
  if (!keys) {
    if (keyCache.size >= MAX_CACHED) keyCache.clear();
    keys = deriveKeys(encoder.encode(material));
    keyCache.set(material, keys);
  }
  return keys;
}

async function deriveKeys(material: Uint8Array): Promise<SessionKeys> {
  const base = await crypto.subtle.importKey("raw", material, "HKDF", false, ["deriveKey"]);
  const derive = (purpose: string) =>
    crypto.subtle.deriveKey(
      {
        name: "HKDF",
        hash: "SHA-256",
        salt: encoder.encode("omisell-push dashboard session"),
        info: encoder.encode(purpose),
      },
      base,
      { name: "HMAC", hash: "SHA-256", length: 256 },
      false,
      ["sign"],
    );
  const [seal, fingerprint, form] = await Promise.all([derive("seal"), derive("token fingerprint"), derive("form")]);
  return { seal, fingerprint, form };
}

async function hmac(key: CryptoKey, data: string): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.sign("HMAC", key, encoder.encode(data)));
}

/** The first 16 bytes of HMAC(fingerprint key, token): names the token without revealing it. */
async function fingerprintOf(keys: SessionKeys, token: string): Promise<Uint8Array> {
  return (await hmac(keys.fingerprint, token)).slice(0, FINGERPRINT_BYTES);
}

/**
 * A new session for `token` of `role`, as the cookie's value:
 * `1.<role>.<expires at, ms>.<session id, hex>.<fingerprint, hex>.<HMAC of the rest, hex>`.
 */
export async function sealSession(settings: SessionSettings, token: string, role: Role, now: number): Promise<string> {
  const keys = await sessionKeys(settings);
  const id = toHex(crypto.getRandomValues(new Uint8Array(SESSION_ID_BYTES)));
  const body = [VERSION, role, String(now + SESSION_TTL_MS), id, toHex(await fingerprintOf(keys, token))].join(".");
  return `${body}.${toHex(await hmac(keys.seal, body))}`;
}

/** True when any of `candidates` equals `expected`, comparing every one in constant time. */
function matchesAny(expected: Uint8Array, candidates: Uint8Array[]): boolean {
  let found = false;
  for (const candidate of candidates) {
    if (candidate.byteLength === expected.byteLength && crypto.subtle.timingSafeEqual(candidate, expected))
      found = true;
  }
  return found;
}

/**
 * The session a cookie value holds, or null: a value that is not one of ours, a signature that
 * does not match (compared in constant time), an expired session, or one whose token is no longer
 * configured for its role (removed, or moved from admin to read) is no session.
 */
export async function openSession(settings: SessionSettings, value: string, now: number): Promise<Session | null> {
  const parts = value.split(".");
  if (parts.length !== 6) return null;
  const [version, role, expires, id, fingerprint, mac] = parts as [string, Role, string, string, string, string];
  const given = fromHex(mac);
  if (version !== VERSION || !ROLES.includes(role) || !given) return null;
  const keys = await sessionKeys(settings);
  const expected = await hmac(keys.seal, parts.slice(0, 5).join("."));
  if (!matchesAny(expected, [given])) return null;
  const expiresAt = Number(expires);
  if (!Number.isSafeInteger(expiresAt) || expiresAt <= now) return null;
  const tokens = role === "admin" ? settings.adminTokens : settings.readTokens;
  const held = fromHex(fingerprint);
  if (!held) return null;
  const configured = await Promise.all(tokens.map((token) => fingerprintOf(keys, token)));
  if (!matchesAny(held, configured)) return null;
  return { role, id, expiresAt };
}

/**
 * The CSRF token of a session's forms: HMAC(form key, session id) in hex. It changes with every
 * sign-in, and a page on another site can neither read the cookie nor compute it.
 */
export async function sessionFormToken(settings: SessionSettings, session: Pick<Session, "id">): Promise<string> {
  return toHex(await hmac((await sessionKeys(settings)).form, `form:${session.id}`));
}

/** Whether `submitted` is the form token of `session`, compared in constant time. */
export async function isSessionFormToken(
  settings: SessionSettings,
  session: Pick<Session, "id">,
  submitted: unknown,
): Promise<boolean> {
  if (typeof submitted !== "string") return false;
  const expected = fromHex(await sessionFormToken(settings, session)) as Uint8Array;
  const given = fromHex(submitted);
  return given !== null && matchesAny(expected, [given]);
}
