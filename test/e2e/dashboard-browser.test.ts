/**
 * The dashboard in a real browser (Debian's headless Chromium through playwright-core) against a
 * worker started like `npm start`, with forwarding to the local receiver: pushes go in through the
 * real, signed endpoint; a person signs in, filters, opens an event and replays it; deliveries
 * fail and an admin retries them; follow-ups fail, the health banner says so, and "Replay this
 * group" brings them back until the banner is gone; a read-only viewer sees no action; every page
 * fits 1280 and 390 px without sideways scrolling. One browser, one context per viewer and screen.
 * Every page is also captured; with UPDATE_SCREENSHOTS=1 the captures replace the ones in
 * test/e2e/screenshots/ (the README shows them), else the committed ones stay as they are.
 */
import { createHmac, randomUUID } from "node:crypto";
import { existsSync, mkdirSync } from "node:fs";
import { resolve } from "node:path";
import { type Browser, type BrowserContext, chromium, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { wrangler } from "../../scripts/lib/local-stack.ts";
import { type Receiver, startReceiver } from "../../scripts/receiver.ts";
import { E2E_VARS } from "./config";
import { freeLoopbackPort, type LocalStack, startLocalStack } from "./stack";

const CHROMIUM = "/usr/bin/chromium";
const hasChromium = existsSync(CHROMIUM);
if (!hasChromium) console.warn(`dashboard browser test skipped: ${CHROMIUM} is missing (apt-get install chromium)`);

const SCREENSHOTS = resolve("test/e2e/screenshots");
const SECRET = `whsec_${Buffer.from("e2e dashboard forwarding secret!").toString("base64")}`;
const READ = { authorization: `Bearer ${E2E_VARS.READ_API_TOKENS}` };
const WIDE = { width: 1280, height: 900 };
const PHONE = { width: 390, height: 844 };

const seller = `e2e-${randomUUID().slice(0, 8)}`;
const orderNumber = `OM${Date.now().toString().slice(-10)}`;

let stack: LocalStack;
let receiver: Receiver;
let browser: Browser;
let url: string;
const contexts: BrowserContext[] = [];
/** One page per viewer and screen, signed in once. */
const pages = {} as { admin: Page; adminPhone: Page; reader: Page; readerPhone: Page };
const ids: string[] = [];
/** Pages visited along the way, checked for width at the end. */
const visited = new Set<string>(["/dashboard/sign-in"]);
const consoleErrors: string[] = [];

async function sendSignedPush(body: object): Promise<Response> {
  const raw = JSON.stringify(body);
  const signature = createHmac("sha256", E2E_VARS.OMISELL_PUSH_SECRET)
    .update(`${url}/webhooks/omisell|${raw}`)
    .digest("hex");
  return fetch(`${url}/webhooks/omisell`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: signature },
    body: raw,
  });
}

async function push(event: string, order: string, data: object = {}): Promise<string> {
  const res = await sendSignedPush({
    request_id: randomUUID(),
    seller_id: seller,
    timestamp: 1732780800,
    event,
    data: { omisell_order_number: order, ...data },
  });
  expect(res.status).toBe(200);
  expect(res.headers.get("Push-Status")).toBe("accepted");
  return res.headers.get("Push-Event-Id") as string;
}

async function api<T>(path: string): Promise<T> {
  const res = await fetch(`${url}${path}`, { headers: READ });
  expect(res.status, path).toBe(200);
  return (await res.json()) as T;
}

/** Polls `check` until it gives a value (or fails after `ms`). */
async function until<T>(what: string, check: () => Promise<T | null | undefined | false>, ms = 30_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 300));
  }
}

async function standinKnobs(knobs: object) {
  await fetch(`${stack.standin.url}/__standin/knobs`, { method: "POST", body: JSON.stringify(knobs) });
}

async function signedIn(viewport: typeof WIDE, token: string, isMobile = false): Promise<Page> {
  const context = await browser.newContext({ viewport, isMobile });
  contexts.push(context);
  const page = await context.newPage();
  page.on("console", (m) => {
    // A page answered 400 or 404 on purpose (a bad filter, an unknown page) is not a failed resource.
    const deliberate = m.location().url === page.url() && /status of 40[04]/.test(m.text());
    if (m.type() === "error" && !deliberate) consoleErrors.push(`${page.url()}: ${m.text()}`);
  });
  await page.goto(`${url}/dashboard`);
  expect(new URL(page.url()).pathname).toBe("/dashboard/sign-in");
  await page.fill('input[name="token"]', token);
  await Promise.all([page.waitForURL(`${url}/dashboard`), page.click('button[type="submit"]')]);
  return page;
}

async function open(page: Page, path: string): Promise<void> {
  await page.goto(`${url}${path}`);
  visited.add(path);
}

async function shoot(page: Page, name: string): Promise<void> {
  const update = process.env.UPDATE_SCREENSHOTS === "1";
  const path = update ? resolve(SCREENSHOTS, name) : undefined;
  const png = await page.screenshot({ path, fullPage: true });
  expect(png.byteLength, `screenshot ${name}`).toBeGreaterThan(1000);
  if (path) console.log(`screenshot: ${path}`);
}

const bannerOf = (page: Page) => page.locator('section.health-banner[role="alert"]');

beforeAll(async () => {
  if (!hasChromium) return;
  receiver = await startReceiver({ port: await freeLoopbackPort(), secret: SECRET, log: () => {} });
  stack = await startLocalStack("dashboard", {
    vars: { FORWARD_URL: `${receiver.url}/hook`, FORWARD_SECRET: SECRET, FORWARD_BACKOFF_BASE_SECONDS: "1" },
  });
  url = stack.worker.url;
  ids.push(await push("order.created", orderNumber, { status_name: "Pending" }));
  ids.push(await push("order.ready_to_ship", orderNumber, { status_name: "Ready to ship" }));
  ids.push(await push("shipment.shipped", orderNumber, { omisell_shipment_number: `SH-${orderNumber}` }));
  ids.push(await push("order.shipped", orderNumber, { status_name: "Shipped" }));
  await until("the first pushes to settle", async () => {
    const { events } = await api<{ events: unknown[] }>(`/api/events?seller_id=${seller}&status=received`);
    return events.length === 0;
  });
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-quic",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
  mkdirSync(SCREENSHOTS, { recursive: true });
  pages.admin = await signedIn(WIDE, E2E_VARS.ADMIN_API_TOKENS);
  pages.adminPhone = await signedIn(PHONE, E2E_VARS.ADMIN_API_TOKENS, true);
  pages.reader = await signedIn(WIDE, E2E_VARS.READ_API_TOKENS);
  pages.readerPhone = await signedIn(PHONE, E2E_VARS.READ_API_TOKENS, true);
}, 180_000);

afterAll(async () => {
  for (const context of contexts) await context.close();
  await browser?.close();
  await stack?.close();
  await receiver?.close();
});

describe.skipIf(!hasChromium)("the dashboard in Chromium", () => {
  it("lets an admin sign in, see the pushes, filter them, open one and replay it", async () => {
    const page = pages.admin;
    const [cookie] = await page.context().cookies();
    // Chromium keeps a __Host- cookie (Secure, Path=/) from http://127.0.0.1: loopback counts as a
    // secure context for cookies, so `npm start` signs in over plain http.
    expect(new URL(stack.worker.url).protocol).toBe("http:");
    expect(cookie).toMatchObject({
      name: "__Host-omisell_session",
      path: "/",
      httpOnly: true,
      secure: true,
      sameSite: "Strict",
    });
    expect(cookie?.value).not.toContain(E2E_VARS.ADMIN_API_TOKENS);

    await open(page, "/dashboard");
    expect(await page.locator("h1").textContent()).toBe("Pushes from Omisell");
    for (const id of ids) expect(await page.locator(`a[href="/dashboard/events/${id}"]`).count()).toBeGreaterThan(0);
    expect(await page.locator(".chart svg.wide rect").count()).toBeGreaterThan(0);
    await shoot(page, "dashboard-overview.png");

    // Filter: this seller's order.shipped pushes only; the event is typed, with suggestions.
    await page.fill('input[name="event"]', "order.shipped");
    await page.fill('input[name="seller_id"]', seller);
    await Promise.all([page.waitForURL(/event=order.shipped/), page.click('form.filters button[type="submit"]')]);
    const rows = page.locator("table.event-list tbody tr");
    expect(await rows.count()).toBe(1);
    expect(await rows.first().textContent()).toContain("order.shipped");
    expect(await page.inputValue('input[name="event"]')).toBe("order.shipped");

    // A filter it cannot read: a sentence, not the validator's words, and no empty list.
    await open(page, "/dashboard?since=last-tuesday");
    expect(await page.locator(".filter-errors").textContent()).toContain("Since: write a date");
    expect(await page.locator("text=No events match").count()).toBe(0);

    // Open one and replay it (admin): back on the event page with a confirmation.
    await open(page, `/dashboard/events/${ids[3]}`);
    expect(await page.locator("h1").textContent()).toBe("order.shipped");
    expect(await page.locator("pre.json").textContent()).toContain(`"omisell_order_number": "${orderNumber}"`);
    await Promise.all([page.waitForURL(/replayed=1/), page.click('button:has-text("Replay follow-up")')]);
    expect(await page.locator(".flash.ok").textContent()).toContain("Replay queued");
    await shoot(page, "dashboard-event.png");

    // The order page: a readable summary above the snapshot, and the timeline of all four pushes.
    await open(page, `/dashboard/orders/${orderNumber}`);
    expect(await page.locator(".timeline li").count()).toBe(4);
    expect(await page.locator(".order-summary").textContent()).toContain("Shipped");
    await shoot(page, "dashboard-order.png");
  });

  it("shows failing deliveries with their event, order and destination; Retry works for an admin only", async () => {
    receiver.setKnobs({ failFirst: 1000, failStatus: 503 });
    const refused = await push("order.completed", `${orderNumber}-D`);
    await until("a refused attempt", async () => {
      const { deliveries } = await api<{ deliveries: { attempts: number }[] }>(`/api/deliveries?event_id=${refused}`);
      return deliveries[0] && deliveries[0].attempts >= 1;
    });
    // Three days of retries in a moment: the delivery ends `failed` as it would after them.
    const ended = wrangler(
      [
        "d1",
        "execute",
        "DB",
        "--local",
        "--persist-to",
        stack.persistTo,
        "--command",
        `UPDATE deliveries SET status = 'failed', next_attempt_at = NULL WHERE event_id = '${refused}'`,
      ],
      { stdio: "pipe" },
    );
    expect(ended.status, ended.stderr).toBe(0);

    const reader = pages.reader;
    await open(reader, "/dashboard/deliveries");
    const row = reader.locator("table.deliveries tbody tr").first();
    expect(await row.textContent()).toContain("order.completed");
    expect(await row.textContent()).toContain(`${orderNumber}-D`);
    expect(await row.locator("td", { hasText: "default" }).count()).toBe(1);
    expect(await reader.locator('button:has-text("Retry")').count()).toBe(0);
    // The banner says deliveries are failing, and links to this page.
    expect(await bannerOf(reader).locator('li[data-reason="deliveries_failing"] a').getAttribute("href")).toBe(
      "/dashboard/deliveries",
    );

    const admin = pages.admin;
    await open(admin, "/dashboard/deliveries");
    // The Retry button is on screen, not cut off by a table wider than its card.
    const retry = await admin.locator('table.deliveries button:has-text("Retry")').first().boundingBox();
    expect(retry && retry.x + retry.width).toBeLessThanOrEqual(WIDE.width - 20);
    await shoot(admin, "dashboard-deliveries.png");
    receiver.setKnobs({ failFirst: 0 });
    await Promise.all([
      admin.waitForURL(/retried=/),
      admin.locator("table.deliveries tbody tr").first().locator('button:has-text("Retry")').click(),
    ]);
    expect(await admin.locator(".flash.ok").textContent()).toContain("Retry queued");
    await until("the retried delivery to arrive", async () => {
      const { deliveries } = await api<{ deliveries: { status: string }[] }>(`/api/deliveries?event_id=${refused}`);
      return deliveries[0]?.status === "delivered";
    });
    // The other deliveries refused meanwhile are retried by themselves, with backoff.
    await until("no delivery failing", async () => {
      await open(admin, "/dashboard/deliveries");
      return (await admin.locator("text=No delivery is failing").count()) === 1;
    });
  });

  it("shows the health banner while follow-ups fail, and Replay this group brings them back until it is gone", async () => {
    await standinKnobs({ errorRate: 1, errorStatus: 404 });
    const failing = [
      await push("order.created", `${orderNumber}-F1`),
      await push("order.created", `${orderNumber}-F2`),
      await push("order.created", `${orderNumber}-F3`),
    ];
    await until("the follow-ups to fail", async () => {
      const { events } = await api<{ events: { id: string }[] }>(`/api/events?status=failed&seller_id=${seller}`);
      return failing.every((id) => events.some((e) => e.id === id));
    });
    await standinKnobs({ errorRate: 0 });

    const admin = pages.admin;
    await open(admin, "/dashboard");
    const banner = bannerOf(admin);
    expect(await banner.isVisible()).toBe(true);
    expect(await banner.textContent()).toContain("Events failed recently.");
    expect(await banner.locator('li[data-reason="failures"] a').getAttribute("href")).toBe("/dashboard/failures");
    await shoot(admin, "dashboard-banner.png");

    // The Failures page: one group of three (the order numbers left out), each failure listed.
    await open(admin, "/dashboard/failures");
    const group = admin.locator("article.group").first();
    expect(await group.locator(".count").textContent()).toBe("3");
    expect(await group.locator("strong").textContent()).toBe("HTTP 404 from Omisell");
    expect(await admin.locator("table.failures tbody tr").count()).toBe(3);
    await shoot(admin, "dashboard-failures.png");

    // A read-only viewer sees the group, and no way to replay it.
    await open(pages.reader, "/dashboard/failures");
    expect(await pages.reader.locator("article.group").count()).toBe(1);
    expect(await pages.reader.locator('button:has-text("Replay")').count()).toBe(0);

    // The admin replays the group; the replay page reloads itself until it is done.
    await Promise.all([
      admin.waitForURL(/\/dashboard\/replays\//),
      group.locator('button:has-text("Replay this group")').click(),
    ]);
    visited.add(new URL(admin.url()).pathname);
    await admin.waitForSelector('h1:has-text("Replay finished")', { timeout: 45_000 });
    expect(await admin.locator('meta[http-equiv="refresh"]').count()).toBe(0);
    expect(await admin.locator(".tile", { hasText: "Settled" }).locator(".value").textContent()).toBe("3");
    expect(await admin.locator("text=/reload/i").count()).toBe(0);
    await shoot(admin, "dashboard-replay.png");

    // Recovered: no failure, no banner.
    await open(admin, "/dashboard");
    expect(await bannerOf(admin).count()).toBe(0);
    await open(pages.reader, "/dashboard/failures");
    expect(await pages.reader.locator("text=No event has failed.").count()).toBe(1);
  });

  it("shows a read-only viewer on a phone no action, the status of each row, and signs out", async () => {
    const page = pages.readerPhone;
    await open(page, `/dashboard/events/${ids[0]}`);
    expect(await page.locator("h1").textContent()).toBe("order.created");
    expect(await page.locator('button:has-text("Replay")').count()).toBe(0);
    await open(page, `/dashboard?seller_id=${seller}`);
    // Each row's status is on screen: rows stack, the badge at the right of the first line.
    const badge = page.locator("table.event-list tbody tr").first().locator(".badge");
    const box = await badge.boundingBox();
    expect(box && box.x + box.width).toBeLessThanOrEqual(PHONE.width);
    // The chart for a phone, with its y-axis values.
    expect(await page.locator(".chart svg.narrow").isVisible()).toBe(true);
    expect(await page.locator(".chart svg.narrow .y-tick text").count()).toBeGreaterThan(1);
    expect(await page.locator(".chart svg.wide").isVisible()).toBe(false);
    await shoot(page, "dashboard-phone.png");
    await open(pages.adminPhone, "/dashboard/failures");
    await shoot(pages.adminPhone, "dashboard-failures-phone.png");
  });

  it("the Destinations page fits a phone-sized screen, forms and health included", async () => {
    const created = await fetch(`${url}/api/destinations`, {
      method: "POST",
      headers: { authorization: `Bearer ${E2E_VARS.ADMIN_API_TOKENS}`, "content-type": "application/json" },
      body: JSON.stringify({
        name: "A warehouse with a rather long name",
        url: "https://warehouse.example.com/a/long/path/for/omisell-push/deliveries?tenant=seller-with-a-long-id",
        filter: { events: ["order.", "shipment.delivered"], seller_ids: [seller] },
        rate_per_minute: 600,
      }),
    });
    expect(created.status).toBe(201);
    const page = pages.adminPhone;
    await open(page, "/dashboard/destinations");
    expect(await page.locator("h1").textContent()).toBe("Destinations");
    expect(await page.locator('button:has-text("Pause")').count()).toBeGreaterThan(0);
    expect(await page.locator('form.dest-form input[name="url"]').count()).toBe(1);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    await shoot(page, "dashboard-destinations-phone.png");
    // Test sends a signed message and shows how it went (the URL does not resolve: an error, shown).
    await Promise.all([page.waitForLoadState("load"), page.locator('button:has-text("Test")').first().click()]);
    expect(await page.locator(".flash").first().textContent()).toContain("Test of");
    await open(pages.admin, "/dashboard/destinations");
    await shoot(pages.admin, "dashboard-destinations.png");
  });

  it("fits every page at 1280 and 390 px: nothing scrolls sideways", async () => {
    const paths = [
      ...visited,
      "/dashboard?status=failed",
      "/dashboard/no-such-page",
      `/dashboard/orders/${orderNumber}`,
      "/dashboard/archive",
      "/docs",
    ];
    const tooWide: string[] = [];
    for (const page of [pages.admin, pages.adminPhone]) {
      for (const path of paths) {
        if (path === "/dashboard/sign-in") continue;
        await open(page, path);
        if (path === "/docs") await page.waitForSelector("details#listEvents");
        const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
        if (overflow > 0) tooWide.push(`${path} at ${page.viewportSize()?.width} px: ${overflow} px too wide`);
      }
    }
    // The sign-in page, signed out, in a fresh context of each size.
    for (const viewport of [WIDE, PHONE]) {
      const context = await browser.newContext({ viewport });
      const page = await context.newPage();
      await page.goto(`${url}/dashboard/sign-in`);
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      if (overflow > 0) tooWide.push(`/dashboard/sign-in at ${viewport.width} px: ${overflow} px too wide`);
      await context.close();
    }
    expect(tooWide).toEqual([]);
    expect(paths.length).toBeGreaterThanOrEqual(10);
  });

  it("/docs lists every operation, renders `code`, links back, and sends a request with the typed token", async () => {
    const page = pages.admin;
    await open(page, "/docs");
    await page.waitForSelector("details#listEvents");
    const spec = (await (await fetch(`${url}/openapi.json`)).json()) as { paths: Record<string, object> };
    const operations = Object.values(spec.paths).reduce((n, item) => n + Object.keys(item).length, 0);
    expect(await page.locator("details").count()).toBe(operations);
    expect(await page.locator("details#receivePush").count()).toBe(1);
    expect(await page.locator("details#receivePush button").count()).toBe(0);
    expect(await page.locator("details#listEvents code").count()).toBeGreaterThan(0);
    expect(await page.locator('a[href="/dashboard"]').count()).toBe(1);
    await page.fill("#token", E2E_VARS.READ_API_TOKENS);
    await page.click("#listEvents summary");
    await page.fill("#listEvents-seller_id", seller);
    await page.click("#listEvents button");
    await page.waitForSelector("#listEvents pre");
    expect(await page.locator("#listEvents .status").textContent()).toContain("→ 200");
    expect(await page.locator("#listEvents pre").textContent()).toContain(ids[0]);
    await shoot(page, "docs.png");
  });

  it("keeps the __Host- session cookie on http://localhost too, the address npm start prints", async () => {
    const context = await browser.newContext();
    contexts.push(context);
    const page = await context.newPage();
    const local = stack.worker.url.replace("127.0.0.1", "localhost");
    await page.goto(`${local}/dashboard/sign-in`);
    await page.fill('input[name="token"]', E2E_VARS.READ_API_TOKENS);
    await Promise.all([page.waitForURL(`${local}/dashboard`), page.click('button[type="submit"]')]);
    expect(await page.locator("h1").textContent()).toBe("Pushes from Omisell");
    const [cookie] = await context.cookies();
    expect(cookie).toMatchObject({ name: "__Host-omisell_session", domain: "localhost", secure: true });
  });

  it("has had no CSP violation or failed resource on any page", () => {
    expect(consoleErrors).toEqual([]);
  });

  it("signs a viewer out", async () => {
    const page = pages.readerPhone;
    await open(page, "/dashboard");
    await Promise.all([page.waitForURL(/sign-in/), page.click('button:has-text("Sign out")')]);
    expect(await page.context().cookies()).toEqual([]);
  });
});
