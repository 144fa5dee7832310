/**
 * The archive against the real thing: its own `wrangler dev` with the local R2 bucket and
 * RETENTION_DAYS=1. Pushes are followed up, the cron is run as if three days had passed, and
 * what retention archived comes back over HTTP (gzip as stored to a client that asks for it,
 * plain NDJSON to one that does not) and through `npm run export` as the same events.
 */
import { randomUUID } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { chromium } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { signPush } from "../../scripts/lib/push-signature.ts";
import { exportCli } from "../scripts/export-cli.ts";
import { E2E_VARS } from "./config";
import { type LocalStack, startLocalStack } from "./stack";

const READ = { authorization: `Bearer ${E2E_VARS.READ_API_TOKENS}` };
const DAY = 86_400_000;
const CHROMIUM = "/usr/bin/chromium";

let stack: LocalStack;
let url = "";
const pushed: string[] = [];
const out = mkdtempSync(join(tmpdir(), "omisell-export-e2e-"));

beforeAll(async () => {
  stack = await startLocalStack("archive", { vars: { RETENTION_DAYS: "1", RECONCILE_EVERY_MINUTES: "0" } });
  url = stack.worker.url;
}, 120_000);

afterAll(async () => {
  await stack?.close();
  rmSync(out, { recursive: true, force: true });
});

async function push(): Promise<string> {
  const callbackUrl = `${url}/webhooks/omisell`;
  const body = JSON.stringify({
    request_id: randomUUID(),
    event: "order.shipped",
    seller_id: 1001,
    data: { omisell_order_number: `OM-ARC-${randomUUID().slice(0, 8)}`, status_name: "Shipped" },
  });
  const res = await fetch(callbackUrl, {
    method: "POST",
    headers: { authorization: signPush(E2E_VARS.OMISELL_PUSH_SECRET, callbackUrl, body) },
    body,
  });
  expect(res.status).toBe(200);
  return res.headers.get("push-event-id") as string;
}

/** A GET with exactly these headers (Node's fetch always asks for gzip and decodes it). */
function rawGet(
  path: string,
  headers: Record<string, string>,
): Promise<{ headers: Record<string, unknown>; body: Buffer }> {
  return new Promise((done, fail) => {
    const req = request(`${url}${path}`, { headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (chunk: Buffer) => chunks.push(chunk));
      res.on("end", () => done({ headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on("error", fail);
    req.end();
  });
}

describe("the archive on a local stack", () => {
  it("archives followed-up events when their retention ends, and gives them back over HTTP and npm run export", async () => {
    for (let i = 0; i < 5; i++) pushed.push(await push());
    await expect
      .poll(
        async () => {
          const res = await fetch(`${url}/api/stats`, { headers: READ });
          return ((await res.json()) as { backlog?: { received?: number } }).backlog?.received;
        },
        { timeout: 30_000, interval: 500 },
      )
      .toBe(0);
    const today = new Date().toISOString().slice(0, 10);

    // The cron as it will run three days from now: past RETENTION_DAYS and the day of grace.
    const cron = await fetch(
      `${url}/cdn-cgi/local/scheduled?cron=${encodeURIComponent("* * * * *")}&time=${Date.now() + 3 * DAY}`,
    );
    expect(cron.status).toBe(200);

    const listing = (await (await fetch(`${url}/api/archive?from=${today}&to=${today}`, { headers: READ })).json()) as {
      objects: { key: string; count: number; href: string }[];
    };
    expect(listing.objects.reduce((n, o) => n + o.count, 0)).toBe(5);
    for (const id of pushed) expect((await fetch(`${url}/api/events/${id}`, { headers: READ })).status).toBe(404);

    const href = listing.objects[0]?.href ?? "";
    const gzipped = await rawGet(href, { ...READ, "accept-encoding": "gzip" });
    expect(gzipped.headers["content-encoding"]).toBe("gzip");
    expect([...gzipped.body.subarray(0, 2)]).toEqual([0x1f, 0x8b]);
    const plain = await rawGet(href, READ);
    expect(plain.headers["content-encoding"]).toBeUndefined();
    expect(plain.headers["content-type"]).toBe("application/x-ndjson");
    expect(plain.body.toString("utf8").trimEnd().split("\n")).toHaveLength(listing.objects[0]?.count ?? -1);

    const file = join(out, "events.ndjson");
    const run = await exportCli([
      "--url",
      url,
      "--token",
      E2E_VARS.READ_API_TOKENS,
      "--from",
      today,
      "--to",
      today,
      "--out",
      file,
    ]);
    expect(run.code, run.stderr).toBe(0);
    const lines = readFileSync(file, "utf8")
      .trimEnd()
      .split("\n")
      .map(
        (line) =>
          JSON.parse(line) as { event: { id: string; status: string }; archived_at: number | null; order: unknown },
      );
    expect(lines.map((line) => line.event.id)).toEqual([...pushed].sort());
    for (const line of lines) {
      expect(line.event.status).toBe("processed");
      expect(line.archived_at).not.toBeNull();
      expect(line.order).toMatchObject({ status_name: expect.any(String) });
    }
  });

  it.skipIf(!existsSync(CHROMIUM))(
    "shows the archived day on a phone-sized screen without sideways scrolling",
    async () => {
      const browser = await chromium.launch({
        executablePath: CHROMIUM,
        args: ["--headless", "--no-sandbox", "--disable-gpu"],
      });
      try {
        const context = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true });
        const page = await context.newPage();
        await page.goto(`${url}/dashboard`);
        await page.fill('input[name="token"]', E2E_VARS.READ_API_TOKENS);
        await Promise.all([page.waitForURL(`${url}/dashboard`), page.click('button[type="submit"]')]);
        const today = new Date().toISOString().slice(0, 10);
        await page.goto(`${url}/dashboard/archive?day=${today}`);
        expect(await page.locator("h1").textContent()).toBe("Archive");
        expect(await page.locator(`a[href="/dashboard/archive?day=${today}"]`).count()).toBe(1);
        expect(await page.locator('a[href^="/dashboard/archive/objects/"]').count()).toBeGreaterThan(0);
        const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
        expect(overflow).toBeLessThanOrEqual(0);
        mkdirSync(resolve("test-results"), { recursive: true });
        await page.screenshot({ path: resolve("test-results", "dashboard-archive-phone.png"), fullPage: true });
      } finally {
        await browser.close();
      }
    },
  );
});
