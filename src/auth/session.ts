/** The dashboard session: the token a person signed in with, and the CSRF token of its forms. */
import type { Context } from "hono";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import { readConfig } from "../config";
import { equalsOneOf, hmacSha256Hex } from "../lib/crypto";
import { type Role, roleOfToken } from "./tokens";

const SESSION_COOKIE = "omisell_session";
const COOKIE_PATH = "/dashboard";
const SESSION_SECONDS = 8 * 3600;

type Session = { token: string; role: Role };

/** The session of the request's cookie, when its token still has a role. */
export async function readSession<E extends { Bindings: Env }>(c: Context<E>): Promise<Session | null> {
  const token = getCookie(c, SESSION_COOKIE);
  if (!token) return null;
  const role = await roleOfToken(readConfig(c.env).api, token);
  return role ? { token, role } : null;
}

/** Keeps the token in an HttpOnly, Secure, SameSite=Strict cookie scoped to /dashboard. */
export function startSession(c: Context, token: string): void {
  setCookie(c, SESSION_COOKIE, token, {
    path: COOKIE_PATH,
    httpOnly: true,
    secure: true,
    sameSite: "Strict",
    maxAge: SESSION_SECONDS,
  });
}

export function endSession(c: Context): void {
  deleteCookie(c, SESSION_COOKIE, { path: COOKIE_PATH, httpOnly: true, secure: true, sameSite: "Strict" });
}

/**
 * The CSRF token of the session's forms: HMAC-SHA256(key = session token, "dashboard-form") in
 * hex. A page that can submit forms cross-site cannot read the cookie, so it cannot compute it.
 */
export function formToken(sessionToken: string): Promise<string> {
  return hmacSha256Hex(sessionToken, "dashboard-form");
}

/** Compared like bearer tokens: as digests, in constant time. */
export async function isValidFormToken(sessionToken: string, submitted: unknown): Promise<boolean> {
  if (typeof submitted !== "string") return false;
  return equalsOneOf(submitted, [await formToken(sessionToken)]);
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
