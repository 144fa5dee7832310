/** A dashboard session for e2e tests: signs in through the form, as a browser would, and hands back the Cookie header. */

/** The `Cookie` header of a fresh session of `token` on the worker at `workerUrl`. */
export async function sessionCookie(workerUrl: string, token: string): Promise<string> {
  const res = await fetch(`${workerUrl}/dashboard/sign-in`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded", origin: workerUrl },
    body: new URLSearchParams({ token }),
    redirect: "manual",
  });
  const cookie = /^(__Host-omisell_session=[^;]+)/.exec(res.headers.get("set-cookie") ?? "")?.[1];
  if (res.status !== 303 || !cookie) throw new Error(`sign-in answered ${res.status} without a session cookie`);
  return cookie;
}
