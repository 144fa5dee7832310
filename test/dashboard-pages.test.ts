/**
 * /dashboard through fetch like a browser: sign-in and its cookie, pages with the stored data,
 * filters and paging, replay with its CSRF token and role check, sign-out, security headers.
 */
import { env, exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { ADMIN_TOKEN, BASE, READ_TOKEN, storeEvent, storeOrderSnapshot, uniqueSeller } from "./helpers/read-api";
import { csrfOf, SESSION_COOKIE, sessionCookie } from "./helpers/session";

const ORIGIN = BASE;

/** The session cookie of a configured token; any other value is sent as the cookie's raw value. */
async function cookieFor(token: string): Promise<string> {
  return token === READ_TOKEN || token === ADMIN_TOKEN ? sessionCookie(token) : `${SESSION_COOKIE}=${token}`;
}

async function page(path: string, token: string | null = READ_TOKEN) {
  const headers = new Headers();
  if (token) headers.set("cookie", await cookieFor(token));
  return exports.default.fetch(new Request(`${BASE}${path}`, { headers, redirect: "manual" }));
}

async function post(
  path: string,
  fields: Record<string, string>,
  options: { token?: string | null; origin?: string } = {},
) {
  const headers = new Headers({
    "content-type": "application/x-www-form-urlencoded",
    origin: options.origin ?? ORIGIN,
  });
  const token = options.token === undefined ? ADMIN_TOKEN : options.token;
  if (token) headers.set("cookie", await cookieFor(token));
  return exports.default.fetch(
    new Request(`${BASE}${path}`, { method: "POST", headers, body: new URLSearchParams(fields), redirect: "manual" }),
  );
}

function expectSecurityHeaders(res: Response) {
  const csp = res.headers.get("Content-Security-Policy") ?? "";
  expect(csp).toContain("default-src 'none'");
  expect(csp).toContain("frame-ancestors 'none'");
  expect(csp).not.toContain("unsafe-inline");
  expect(res.headers.get("X-Frame-Options")).toBe("DENY");
  expect(res.headers.get("X-Content-Type-Options")).toBe("nosniff");
  expect(res.headers.get("Referrer-Policy")).toBe("same-origin");
}

/** The page's HTML, once it answered 200 with the security headers. */
async function securePage(path: string): Promise<string> {
  const res = await page(path);
  expect(res.status).toBe(200);
  expectSecurityHeaders(res);
  return res.text();
}

describe("signing in", () => {
  it("sends a visitor without a session to the sign-in page", async () => {
    const res = await page("/dashboard", null);
    expect(res.status).toBe(303);
    expect(res.headers.get("Location")).toBe("/dashboard/sign-in");
    expectSecurityHeaders(res);
  });

  it("shows the sign-in form, with the security headers and no script", async () => {
    const res = await page("/dashboard/sign-in", null);
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toMatch(/^<!doctype html>/);
    expect(html).toContain('name="token"');
    expect(html).not.toContain("<script");
    expectSecurityHeaders(res);
  });

  it("exchanges a valid token for a sealed session in an HttpOnly, Secure, SameSite=Strict __Host- cookie", async () => {
    const res = await post("/dashboard/sign-in", { token: READ_TOKEN }, { token: null });
    expect(res.status).toBe(303);
    expect(res.headers.get("Location")).toBe("/dashboard");
    const cookie = res.headers.get("Set-Cookie") ?? "";
    expect(cookie).toMatch(/^__Host-omisell_session=1\.read\.\d+\.[0-9a-f]{32}\.[0-9a-f]{32}\.[0-9a-f]{64};/);
    expect(cookie).not.toContain(READ_TOKEN);
    expect(cookie).toContain("Max-Age=43200");
    expect(cookie).toContain("HttpOnly");
    expect(cookie).toContain("Secure");
    expect(cookie).toContain("SameSite=Strict");
    expect(cookie).toContain("Path=/;");
    expect(cookie).not.toContain("Domain");
  });

  it("refuses a wrong token with 401 and sets no cookie", async () => {
    const res = await post("/dashboard/sign-in", { token: "guess" }, { token: null });
    expect(res.status).toBe(401);
    expect(res.headers.get("Set-Cookie")).toBeNull();
    expect(await res.text()).toContain("not valid");
  });

  it("refuses a sign-in posted from another site", async () => {
    const res = await post(
      "/dashboard/sign-in",
      { token: READ_TOKEN },
      { token: null, origin: "https://evil.example" },
    );
    expect(res.status).toBe(403);
    expect(res.headers.get("Set-Cookie")).toBeNull();
  });

  it("refuses a sign-in posted from an opaque origin (Origin: null)", async () => {
    const res = await post("/dashboard/sign-in", { token: READ_TOKEN }, { token: null, origin: "null" });
    expect(res.status).toBe(403);
    expect(res.headers.get("Set-Cookie")).toBeNull();
  });

  it("treats a cookie that holds a token, not a sealed session, as signed out", async () => {
    for (const value of ["revoked-token", READ_TOKEN]) {
      const res = exports.default.fetch(
        new Request(`${BASE}/dashboard`, { headers: { cookie: `${SESSION_COOKIE}=${value}` }, redirect: "manual" }),
      );
      expect((await res).status, value).toBe(303);
    }
  });

  it("signs out with the form token and clears the cookie", async () => {
    const res = await post("/dashboard/sign-out", { csrf: await csrfOf(ADMIN_TOKEN) });
    expect(res.status).toBe(303);
    expect(res.headers.get("Set-Cookie")).toMatch(/^__Host-omisell_session=;.*Max-Age=0/);
  });

  it("does not sign out on a post without the form token", async () => {
    const res = await post("/dashboard/sign-out", {});
    expect(res.status).toBe(403);
    expect(res.headers.get("Set-Cookie")).toBeNull();
  });
});

describe("overview", () => {
  it("shows the tiles, the hourly chart and the stored events, without any script", async () => {
    const seller = uniqueSeller();
    const row = await storeEvent({ seller_id: seller, event: "order.completed" });
    const html = await securePage(`/dashboard?seller_id=${seller}`);
    expect(html).toContain("Events stored, 24 h");
    expect(html).toContain("pushes and reconciled changes (duplicates are not stored)");
    expect(html).toContain("Waiting");
    expect(html).toContain("<svg");
    expect(html).toContain(`/dashboard/events/${row.id}`);
    expect(html).toContain("order.completed");
    expect(html).not.toContain("<script");
  });

  it("charts the time from push to settled, p50 and p95 per hour, with the last hour's figures", async () => {
    const row = await storeEvent({ at: Date.now() - 6_000 });
    await env.DB.prepare("UPDATE events SET status = 'received' WHERE id = ?1").bind(row.id).run();
    await env.DB.prepare("UPDATE events SET status = 'processed', processed_at = ?2 WHERE id = ?1")
      .bind(row.id, Date.now())
      .run();
    const html = await securePage("/dashboard");
    expect(html).toContain("Push to settled, last 24 hours");
    expect(html).toContain('data-kind="p95"');
    expect(html).toContain('data-kind="p50"');
    expect(html).toMatch(/Last hour: p50 \d+ s · p95 \d+ s/);
  });

  it("filters the list like the API does", async () => {
    const seller = uniqueSeller();
    const failed = await storeEvent({ seller_id: seller, status: "failed" });
    const ok = await storeEvent({ seller_id: seller, status: "processed" });
    const html = await (await page(`/dashboard?seller_id=${seller}&status=failed&event=&category=`)).text();
    expect(html).toContain(failed.id);
    expect(html).not.toContain(ok.id);
  });

  it("pages with an Older link that carries the cursor and the filters", async () => {
    const seller = uniqueSeller();
    const t = Date.now() - 5000;
    const older = await storeEvent({ seller_id: seller, at: t });
    const newer = await storeEvent({ seller_id: seller, at: t + 1 });
    const first = await (await page(`/dashboard?seller_id=${seller}&limit=1`)).text();
    expect(first).toContain(newer.id);
    expect(first).not.toContain(older.id);
    const next = /href="(\/dashboard\?[^"]*cursor=[^"]*)"/.exec(first)?.[1]?.replace(/&amp;/g, "&");
    expect(next).toContain(`seller_id=${seller}`);
    const second = await (await page(next as string)).text();
    expect(second).toContain(older.id);
    expect(second).not.toContain(newer.id);
  });

  it("answers 400 with a sentence for a filter it cannot read, and no empty list", async () => {
    const res = await page("/dashboard?since=last-tuesday");
    expect(res.status).toBe(400);
    const html = await res.text();
    expect(html).toContain("Since: write a date (2024-11-28), a date and time in UTC (2024-11-28T08:00)");
    expect(html).not.toContain("No events match");
    expect(html).not.toContain("expected milliseconds");
  });
});

describe("event page", () => {
  it("shows status, attempts, last error and the pretty-printed payload, escaped", async () => {
    const row = await storeEvent({
      status: "failed",
      attempts: 3,
      last_error: "HTTP 500 from Omisell",
      payload: JSON.stringify({ event: "order.shipped", note: "<script>alert(1)</script>" }),
    });
    const html = await (await page(`/dashboard/events/${row.id}`)).text();
    expect(html).toContain("HTTP 500 from Omisell");
    expect(html).toMatch(/Attempts<\/dt><dd>3</);
    expect(html).toContain("{\n  &quot;event&quot;: &quot;order.shipped&quot;");
    expect(html).toContain("&lt;script&gt;alert(1)&lt;/script&gt;");
    expect(html).not.toContain("<script>alert");
  });

  it("says how a settled event was settled", async () => {
    const listed = await storeEvent({ status: "processed", settled_by: "list" });
    const waiting = await storeEvent({ status: "received" });
    expect(await (await page(`/dashboard/events/${listed.id}`)).text()).toContain(
      '<dd data-settled-by="list">Omisell&#39;s order list',
    );
    expect(await (await page(`/dashboard/events/${waiting.id}`)).text()).toContain('data-settled-by="none"');
  });

  it("shows the replay button to an admin, with the form token", async () => {
    const row = await storeEvent({ status: "failed" });
    const html = await (await page(`/dashboard/events/${row.id}`, ADMIN_TOKEN)).text();
    expect(html).toContain(`action="/dashboard/events/${row.id}/replay"`);
    expect(html).toContain(`value="${await csrfOf(ADMIN_TOKEN)}"`);
  });

  it("shows no replay button to a read-only viewer", async () => {
    const row = await storeEvent({ status: "failed" });
    const html = await (await page(`/dashboard/events/${row.id}`, READ_TOKEN)).text();
    expect(html).not.toContain("/replay");
  });

  it("answers 404 for an unknown event", async () => {
    expect((await page("/dashboard/events/01JDQ3Z5J8X0K4M2N6P8R0T2V4")).status).toBe(404);
  });
});

describe("replay from the dashboard", () => {
  const statusOf = async (id: string) =>
    (await env.DB.prepare("SELECT status FROM events WHERE id = ?").bind(id).first<{ status: string }>())?.status;

  it("an admin's replay with the form token queues the follow-up and comes back to the event", async () => {
    const row = await storeEvent({ status: "failed" });
    const res = await post(`/dashboard/events/${row.id}/replay`, { csrf: await csrfOf(ADMIN_TOKEN) });
    expect(res.status).toBe(303);
    expect(res.headers.get("Location")).toBe(`/dashboard/events/${row.id}?replayed=1`);
    expect(await statusOf(row.id)).toBe("received");
  });

  it("refuses to replay an invalid push with 409 and says why", async () => {
    const row = await storeEvent({ status: "invalid", category: "invalid" });
    const res = await post(`/dashboard/events/${row.id}/replay`, { csrf: await csrfOf(ADMIN_TOKEN) });
    expect(res.status).toBe(409);
    expect(await res.text()).toContain("An invalid push has no follow-up");
    expect(await statusOf(row.id)).toBe("invalid");
  });

  // `%s`, not `$name`: vitest quotes and shortens `$` values in a test's name.
  it.each<[string, () => Promise<string | null>, { token?: string | null; origin?: string }?]>([
    ["refuses a replay without the form token (CSRF)", async () => null],
    ["refuses a replay whose form token belongs to another session", () => csrfOf(READ_TOKEN)],
    [
      "refuses a replay posted from another site even with the right form token",
      () => csrfOf(ADMIN_TOKEN),
      { origin: "https://evil.example" },
    ],
    ["refuses a replay by a read-only viewer", () => csrfOf(READ_TOKEN), { token: READ_TOKEN }],
  ])("%s", async (_name, csrf, by) => {
    const row = await storeEvent({ status: "failed" });
    const token = await csrf();
    const res = await post(`/dashboard/events/${row.id}/replay`, token === null ? {} : { csrf: token }, by);
    expect(res.status).toBe(403);
    expect(await statusOf(row.id)).toBe("failed");
  });

  it("refuses a replay without a session", async () => {
    const row = await storeEvent({ status: "failed" });
    const res = await post(`/dashboard/events/${row.id}/replay`, { csrf: "x" }, { token: null });
    expect(res.status).toBe(401);
    expect(await statusOf(row.id)).toBe("failed");
  });
});

describe("order page", () => {
  it("shows the snapshot and the timeline", async () => {
    const order = `OM-DASH-${crypto.randomUUID().slice(0, 8)}`;
    const created = await storeEvent({ order_number: order, resource_id: order, event: "order.created" });
    await storeOrderSnapshot(order, {
      statusName: "Ready to ship",
      detail: { total: 120000 },
      lastEventId: created.id,
    });
    const html = await securePage(`/dashboard/orders/${order}`);
    expect(html).toContain("Ready to ship");
    expect(html).toContain("&quot;total&quot;: 120000");
    expect(html).toContain(`/dashboard/events/${created.id}`);
  });

  it("shows the order list's status when a listing newer than the snapshot settled an event", async () => {
    const order = `OM-DASH-${crypto.randomUUID().slice(0, 8)}`;
    await storeEvent({ order_number: order, resource_id: order, event: "order.shipped", settled_by: "list" });
    await storeOrderSnapshot(order, { statusName: "Ready to ship", fetchedAt: Date.now() - 60_000 });
    await env.DB.prepare("UPDATE resources SET summary = ?2, summary_at = ?3 WHERE id = ?1")
      .bind(order, JSON.stringify({ omisell_order_number: order, status_name: "Shipped" }), Date.now())
      .run();
    const html = await securePage(`/dashboard/orders/${order}`);
    expect(html).toMatch(/<dt>Listed<\/dt><dd>Shipped/);
    expect(html).toContain("newer than the snapshot");
  });

  it("links to the overview filtered by order number, which lists the order's shipment events", async () => {
    const order = `OM-DASH-${crypto.randomUUID().slice(0, 8)}`;
    await storeEvent({ order_number: order, resource_id: order, event: "order.created" });
    const shipped = await storeEvent({
      order_number: order,
      resource_type: "shipment",
      resource_id: `SH-${crypto.randomUUID().slice(0, 8)}`,
      event: "shipment.delivered",
      category: "shipment",
    });
    const other = await storeEvent();
    const link = `/dashboard?order_number=${order}`;
    expect(await (await page(`/dashboard/orders/${order}`)).text()).toContain(`href="${link}"`);
    const list = await page(link);
    expect(list.status).toBe(200);
    const html = await list.text();
    expect(html).toContain(`/dashboard/events/${shipped.id}`);
    expect(html).not.toContain(`/dashboard/events/${other.id}`);
  });

  it("answers 404 for an order nothing is known about", async () => {
    expect((await page("/dashboard/orders/OM-NOPE")).status).toBe(404);
  });
});

it("serves the stylesheet the pages link to", async () => {
  const res = await page("/dashboard/style.css", null);
  expect(res.status).toBe(200);
  expect(res.headers.get("Content-Type")).toContain("text/css");
});
