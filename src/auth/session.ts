/**
 * The dashboard session in its cookie: opened and checked on each request, started at sign-in,
 * cleared at sign-out; and the same-origin check of form posts.
 */
import type { Context } from "hono";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import { readConfig } from "../config";
import {
  isSessionFormToken,
  openSession,
  SESSION_TTL_MS,
  type Session,
  type SessionSettings,
  sealSession,
  sessionFormToken,
} from "./session-seal";
import type { Role } from "./tokens";

/**
 * `__Host-omisell_session`: the `__Host-` prefix makes browsers keep it only when it is Secure,
 * has Path=/ and no Domain, so no other host of the domain can set or shadow it. Browsers treat
 * http://localhost and http://127.0.0.1 as secure for cookies, so `npm start` signs in too.
 */
const COOKIE_NAME = "omisell_session";
const COOKIE = { prefix: "host", path: "/", httpOnly: true, secure: true, sameSite: "Strict" } as const;

export type { Session };

/** The settings sessions are sealed and checked with: the token lists and SESSION_SECRET. */
export function sessionSettings(env: object): SessionSettings {
  const config = readConfig(env);
  return { ...config.api, secret: config.session.secret };
}

/** The request's session, when its cookie holds one that is sealed by us, unexpired and whose token is still configured. */
export async function readSession<E extends { Bindings: Env }>(c: Context<E>): Promise<Session | null> {
  const value = getCookie(c, COOKIE_NAME, "host");
  if (!value) return null;
  return openSession(sessionSettings(c.env), value, Date.now());
}

/** Seals a new session for `token` (already checked to be of `role`) into the cookie; 12 hours. */
export async function startSession<E extends { Bindings: Env }>(c: Context<E>, token: string, role: Role) {
  const value = await sealSession(sessionSettings(c.env), token, role, Date.now());
  setCookie(c, COOKIE_NAME, value, { ...COOKIE, maxAge: SESSION_TTL_MS / 1000 });
}

export function endSession(c: Context): void {
  deleteCookie(c, COOKIE_NAME, COOKIE);
}

/** Earlier versions kept the token itself in `omisell_session` (Path=/dashboard). */
const LEGACY_COOKIE = { name: "omisell_session", path: "/dashboard" } as const;

/**
 * Clears a cookie of an earlier version, which held the token itself, from a browser that still
 * sends one: it is never read, and should not outlive the upgrade by its 8 hours.
 */
export function dropLegacyCookie(c: Context): void {
  if (getCookie(c, LEGACY_COOKIE.name) === undefined) return;
  deleteCookie(c, LEGACY_COOKIE.name, { path: LEGACY_COOKIE.path, httpOnly: true, secure: true, sameSite: "Strict" });
}

/** The CSRF token of the session's forms (derived from the session, not the token). */
export function formToken(env: object, session: Session): Promise<string> {
  return sessionFormToken(sessionSettings(env), session);
}

/** Whether a form's `csrf` field is the session's form token (constant time). */
export function isValidFormToken(env: object, session: Session, submitted: unknown): Promise<boolean> {
  return isSessionFormToken(sessionSettings(env), session, submitted);
}

/**
 * Defence in depth next to the form token: a browser names where a form post came from in
 * `Origin` and `Sec-Fetch-Site`; reject any that says another site. Clients that send neither
 * (curl) still need a valid form token.
 */
export function isSameOriginPost(c: Context): boolean {
  const origin = c.req.header("origin");
  // An opaque origin ("null") is never this site's, so it is refused here too.
  if (origin && origin !== new URL(c.req.url).origin) return false;
  const site = c.req.header("sec-fetch-site");
  return !site || site === "same-origin" || site === "none";
}
