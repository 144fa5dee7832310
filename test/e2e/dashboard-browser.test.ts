/**
 * The dashboard in a real browser (Debian's headless Chromium through playwright-core) against
 * the worker started like `npm start`: pushes go in through the real, signed endpoint; a person
 * signs in, sees them, filters, opens one, replays it as admin. Screenshots go to test-results/.
 */
import { createHmac, randomUUID } from "node:crypto";
import { existsSync, mkdirSync } from "node:fs";
import { resolve } from "node:path";
import { type Browser, chromium, type Page } from "playwright-core";
import { afterAll, beforeAll, expect, inject, it } from "vitest";
import { E2E_VARS } from "./config";

const CHROMIUM = "/usr/bin/chromium";
const hasChromium = existsSync(CHROMIUM);
if (!hasChromium) console.warn(`dashboard browser test skipped: ${CHROMIUM} is missing (apt-get install chromium)`);

const workerUrl = inject("workerUrl");
const standinUrl = inject("standinUrl");
const SCREENSHOTS = resolve("test-results");

const seller = `e2e-${randomUUID().slice(0, 8)}`;
const orderNumber = `OM${Date.now().toString().slice(-10)}`;

async function sendSignedPush(body: object): Promise<Response> {
  const raw = JSON.stringify(body);
  const signature = createHmac("sha256", E2E_VARS.OMISELL_PUSH_SECRET)
    .update(`${workerUrl}/webhooks/omisell|${raw}`)
    .digest("hex");
  return fetch(`${workerUrl}/webhooks/omisell`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: signature },
    body: raw,
  });
}

const pushes = [
  { event: "order.created", data: { omisell_order_number: orderNumber, status_name: "Pending" } },
  { event: "order.ready_to_ship", data: { omisell_order_number: orderNumber, status_name: "Ready to ship" } },
  {
    event: "shipment.shipped",
    data: { omisell_order_number: orderNumber, omisell_shipment_number: `SH-${orderNumber}` },
  },
  { event: "order.shipped", data: { omisell_order_number: orderNumber, status_name: "Shipped" } },
];

let browser: Browser;
const ids: string[] = [];

beforeAll(async () => {
  if (!hasChromium) return;
  await fetch(`${standinUrl}/__standin/reset`, { method: "POST", body: JSON.stringify({ knobs: true }) });
  for (const push of pushes) {
    const res = await sendSignedPush({ request_id: randomUUID(), seller_id: seller, timestamp: 1732780800, ...push });
    expect(res.status).toBe(200);
    expect(res.headers.get("Push-Status")).toBe("accepted");
    ids.push(res.headers.get("Push-Event-Id") as string);
  }
  // Give the follow-up a moment so the pages show processed events and a snapshot.
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    const res = await fetch(`${workerUrl}/api/events?seller_id=${seller}&status=received`, {
      headers: { authorization: `Bearer ${E2E_VARS.READ_API_TOKENS}` },
    });
    const { events } = (await res.json()) as { events: unknown[] };
    if (events.length === 0) break;
    await new Promise((r) => setTimeout(r, 300));
  }
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
});

afterAll(async () => {
  await browser?.close();
});

async function signIn(page: Page, token: string) {
  await page.goto(`${workerUrl}/dashboard`);
  expect(new URL(page.url()).pathname).toBe("/dashboard/sign-in");
  await page.fill('input[name="token"]', token);
  await Promise.all([page.waitForURL(`${workerUrl}/dashboard`), page.click('button[type="submit"]')]);
}

async function shoot(page: Page, name: string): Promise<string> {
  const path = resolve(SCREENSHOTS, name);
  await page.screenshot({ path, fullPage: true });
  console.log(`screenshot: ${path}`);
  return path;
}

it.skipIf(!hasChromium)("an admin signs in, sees the pushes, filters them, opens one and replays it", async () => {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  const consoleErrors: string[] = [];
  page.on("console", (m) => {
    if (m.type() === "error") consoleErrors.push(m.text());
  });

  await signIn(page, E2E_VARS.ADMIN_API_TOKENS);
  const [cookie] = await context.cookies();
  expect(cookie).toMatchObject({ name: "omisell_session", httpOnly: true, secure: true, sameSite: "Strict" });

  // The overview lists every push sent above.
  await expect.poll(() => page.locator("h1").textContent()).toBe("Pushes from Omisell");
  for (const id of ids) expect(await page.locator(`a[href="/dashboard/events/${id}"]`).count()).toBeGreaterThan(0);
  expect(await page.locator(".chart svg rect").count()).toBeGreaterThan(0);
  await shoot(page, "dashboard-overview.png");

  // Filter: this seller's order.shipped pushes only.
  await page.selectOption('select[name="event"]', "order.shipped");
  await page.fill('input[name="seller_id"]', seller);
  await Promise.all([page.waitForURL(/event=order.shipped/), page.click('form.filters button[type="submit"]')]);
  const rows = page.locator("table.event-list tbody tr");
  expect(await rows.count()).toBe(1);
  expect(await rows.first().textContent()).toContain("order.shipped");

  // Open it.
  await Promise.all([page.waitForURL(/\/dashboard\/events\//), rows.first().locator("a").first().click()]);
  expect(await page.locator("h1").textContent()).toBe("order.shipped");
  expect(await page.locator("pre.json").textContent()).toContain(`"omisell_order_number": "${orderNumber}"`);

  // Replay it (admin): back on the event page with a confirmation.
  await Promise.all([page.waitForURL(/replayed=1/), page.click('button:has-text("Replay follow-up")')]);
  expect(await page.locator(".flash.ok").textContent()).toContain("Replay queued");
  await shoot(page, "dashboard-event.png");

  // The order page shows the timeline of all four pushes.
  await Promise.all([
    page.waitForURL(/\/dashboard\/orders\//),
    page.click(`dd a[href="/dashboard/orders/${orderNumber}"]`),
  ]);
  expect(await page.locator(".timeline li").count()).toBe(pushes.length);
  await shoot(page, "dashboard-order.png");

  // A CSP violation or a failed resource would show up here.
  expect(consoleErrors).toEqual([]);
  await context.close();
});

it.skipIf(!hasChromium)("a read-only viewer sees no replay button, on a phone-sized screen", async () => {
  const context = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true });
  const page = await context.newPage();
  await signIn(page, E2E_VARS.READ_API_TOKENS);
  await page.goto(`${workerUrl}/dashboard/events/${ids[0]}`);
  expect(await page.locator("h1").textContent()).toBe("order.created");
  expect(await page.locator('button:has-text("Replay")').count()).toBe(0);
  // Nothing wider than the screen: the page is readable without sideways scrolling.
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  expect(overflow).toBeLessThanOrEqual(0);
  await page.goto(`${workerUrl}/dashboard`);
  await shoot(page, "dashboard-phone.png");
  // Signing out ends the session.
  await Promise.all([page.waitForURL(/sign-in/), page.click('button:has-text("Sign out")')]);
  expect(await context.cookies()).toEqual([]);
  await context.close();
});

it.skipIf(!hasChromium)("the Destinations page fits a phone-sized screen, forms and health included", async () => {
  const created = await fetch(`${workerUrl}/api/destinations`, {
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
  const context = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true });
  const page = await context.newPage();
  const consoleErrors: string[] = [];
  page.on("console", (m) => {
    if (m.type() === "error") consoleErrors.push(m.text());
  });
  await signIn(page, E2E_VARS.ADMIN_API_TOKENS);
  await page.goto(`${workerUrl}/dashboard/destinations`);
  expect(await page.locator("h1").textContent()).toBe("Destinations");
  expect(await page.locator('button:has-text("Pause")').count()).toBeGreaterThan(0);
  expect(await page.locator('form.dest-form input[name="url"]').count()).toBe(1);
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  expect(overflow).toBeLessThanOrEqual(0);
  await shoot(page, "dashboard-destinations-phone.png");
  // Test sends a signed message and shows how it went (the URL does not resolve: an error, shown).
  await Promise.all([page.waitForLoadState("load"), page.click('button:has-text("Test")')]);
  expect(await page.locator(".flash").first().textContent()).toContain("Test of A warehouse");
  expect(consoleErrors).toEqual([]);
  await context.close();
});

it.skipIf(!hasChromium)("/docs lists every operation and sends a request with the typed token", async () => {
  const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
  const consoleErrors: string[] = [];
  page.on("console", (m) => {
    if (m.type() === "error") consoleErrors.push(m.text());
  });
  await page.goto(`${workerUrl}/docs`);
  await page.waitForSelector("details#listEvents");
  const spec = (await (await fetch(`${workerUrl}/openapi.json`)).json()) as { paths: Record<string, object> };
  const operations = Object.values(spec.paths).reduce((n, item) => n + Object.keys(item).length, 0);
  expect(await page.locator("details").count()).toBe(operations);
  await page.fill("#token", E2E_VARS.READ_API_TOKENS);
  await page.click("#listEvents summary");
  await page.fill("#listEvents-seller_id", seller);
  await page.click("#listEvents button");
  await page.waitForSelector("#listEvents pre");
  expect(await page.locator("#listEvents .status").textContent()).toContain("→ 200");
  expect(await page.locator("#listEvents pre").textContent()).toContain(ids[0]);
  await shoot(page, "docs.png");
  expect(consoleErrors).toEqual([]);
  await page.close();
});
