/**
 * The overview's reconciliation card, through fetch like a browser: the newest run with its
 * status, time and counts, push coverage over 24 hours, and the pushes missed per day.
 */
import { env, exports } from "cloudflare:workers";
import { beforeEach, describe, expect, it } from "vitest";
import { newUlid } from "../src/lib/ids";
import { finishRun, insertReconciledEvents, startRun } from "../src/store/reconcile";
import { BASE, READ_TOKEN } from "./helpers/read-api";

const MINUTE = 60_000;

async function overview(): Promise<string> {
  const res = await exports.default.fetch(
    new Request(`${BASE}/dashboard`, { headers: { cookie: `omisell_session=${READ_TOKEN}` }, redirect: "manual" }),
  );
  expect(res.status).toBe(200);
  return res.text();
}

/** The reconciliation card of the page, so figures elsewhere on the page cannot match. */
function card(html: string): string {
  const start = html.indexOf('aria-labelledby="reconcile-title"');
  expect(start).toBeGreaterThan(-1);
  return html.slice(start, html.indexOf("</section>", start));
}

beforeEach(async () => {
  await env.DB.batch([
    env.DB.prepare("DELETE FROM reconcile_runs"),
    env.DB.prepare("DELETE FROM events WHERE source = 'reconcile'"),
  ]);
});

describe("the overview's reconciliation card", () => {
  it("says there was no run yet and shows no coverage figure", async () => {
    const html = card(await overview());
    expect(html).toContain("no run yet");
    expect(html).toMatch(/Push coverage, 24 h<\/dt><dd>—/);
  });

  it("shows the newest run with its status, error and counts, the coverage and today's missed pushes", async () => {
    const now = Date.now();
    const done = newUlid(now - 20 * MINUTE);
    await startRun(env.DB, {
      id: done,
      trigger: "cron",
      window_from: now - 80 * MINUTE,
      window_to: now - 20 * MINUTE,
      started_at: now - 20 * MINUTE,
    });
    await finishRun(env.DB, done, {
      status: "done",
      ordersListed: 40,
      missed: 10,
      error: null,
      finishedAt: now - 19 * MINUTE,
    });
    const failed = newUlid(now - 5 * MINUTE);
    await startRun(env.DB, {
      id: failed,
      trigger: "cron",
      window_from: now - 25 * MINUTE,
      window_to: now - 5 * MINUTE,
      started_at: now - 5 * MINUTE,
    });
    await finishRun(env.DB, failed, {
      status: "failed",
      ordersListed: 0,
      missed: 0,
      error: "order list page 1: HTTP 503 from Omisell",
      finishedAt: now - 5 * MINUTE,
    });
    await insertReconciledEvents(
      env.DB,
      [1, 2, 3].map((n) => ({
        id: newUlid(now - n * 1000),
        dedupe_key: `reconcile:OM-DASH-${n}:${now}`,
        event: "reconcile.order_changed",
        order_number: `OM-DASH-${n}`,
        received_at: now - n * 1000,
        payload: "{}",
      })),
    );

    const html = card(await overview());

    expect(html).toContain(">failed</span>");
    expect(html).toContain("order list page 1: HTTP 503 from Omisell");
    expect(html).toContain("75.0 %");
    expect(html).toContain(`>${new Date(now).toISOString().slice(5, 10)}</th>`);
    expect(html).toMatch(/<td class="num">3<\/td><\/tr>/);
    expect(html).toMatch(/Missed, last 7 days<\/dt><dd>3</);
  });
});
