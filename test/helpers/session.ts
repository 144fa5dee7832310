/**
 * Dashboard sessions for tests: signs in through the real sign-in form and hands back the cookie
 * header to send and the session's form (CSRF) token. One sign-in per token and test file.
 */
import { env, exports } from "cloudflare:workers";
import { expect } from "vitest";
import { formToken, sessionSettings } from "../../src/auth/session";
import { openSession } from "../../src/auth/session-seal";
import { BASE } from "./read-api";

export const SESSION_COOKIE = "__Host-omisell_session";

export type TestSession = { cookie: string; csrf: string; value: string };

const sessions = new Map<string, Promise<TestSession>>();

/** The value of the session cookie a sign-in answer sets, or null. */
export function sessionValueOf(res: Response): string | null {
  const header = res.headers.get("set-cookie") ?? "";
  const match = new RegExp(`${SESSION_COOKIE}=([^;]*)`).exec(header);
  return match?.[1] ? match[1] : null;
}

/** POSTs the sign-in form with `token` (from `address`, when given, as CF-Connecting-IP). */
export function postSignIn(
  token: string,
  address?: string,
  target: { fetch(r: Request): Promise<Response> } = exports.default,
) {
  const headers: Record<string, string> = { "content-type": "application/x-www-form-urlencoded", origin: BASE };
  if (address) headers["cf-connecting-ip"] = address;
  return target.fetch(
    new Request(`${BASE}/dashboard/sign-in`, {
      method: "POST",
      headers,
      body: new URLSearchParams({ token }),
      redirect: "manual",
    }),
  );
}

async function signIn(token: string): Promise<TestSession> {
  const res = await postSignIn(token);
  expect(res.status, `sign-in with ${token.slice(0, 8)}…`).toBe(303);
  const value = sessionValueOf(res) as string;
  const session = await openSession(sessionSettings(env), value, Date.now());
  if (!session) throw new Error("the sign-in's cookie does not open");
  return { value, cookie: `${SESSION_COOKIE}=${value}`, csrf: await formToken(env, session) };
}

/** A signed-in session of `token` (signed in once per test file). */
export function sessionOf(token: string): Promise<TestSession> {
  let session = sessions.get(token);
  if (!session) {
    session = signIn(token);
    sessions.set(token, session);
  }
  return session;
}

/** The Cookie header of a session of `token`. */
export async function sessionCookie(token: string): Promise<string> {
  return (await sessionOf(token)).cookie;
}

/** The form token of the session `sessionCookie(token)` sends. */
export async function csrfOf(token: string): Promise<string> {
  return (await sessionOf(token)).csrf;
}

/** A dashboard page as `token`'s signed-in session sees it (redirects not followed). */
export async function dashboardPage(path: string, token: string): Promise<Response> {
  const headers = new Headers({ cookie: await sessionCookie(token) });
  return exports.default.fetch(new Request(`${BASE}${path}`, { headers, redirect: "manual" }));
}

/** A dashboard form POST from the same origin by `token`'s session, with `fields` as given (add `csrf` to pass). */
export async function dashboardForm(path: string, fields: Record<string, string>, token: string): Promise<Request> {
  return new Request(`${BASE}${path}`, {
    method: "POST",
    headers: {
      cookie: await sessionCookie(token),
      origin: BASE,
      "content-type": "application/x-www-form-urlencoded",
    },
    body: new URLSearchParams(fields),
    redirect: "manual",
  });
}
