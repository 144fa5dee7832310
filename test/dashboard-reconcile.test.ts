/**
 * The overview's reconciliation card, through fetch like a browser: the newest run with its
 * status, time and counts, push coverage over 24 hours, and the pushes missed per day.
 */
import { env, exports } from "cloudflare:workers";
import { beforeEach, describe, expect, it } from "vitest";
import { BASE, READ_TOKEN } from "./helpers/read-api";
import { insertReconciledEvent, recordCronRun } from "./helpers/reconcile";
import { sessionCookie } from "./helpers/session";
import { DAY, MINUTE } from "./helpers/time";

async function overview(): Promise<string> {
  const res = await exports.default.fetch(
    new Request(`${BASE}/dashboard`, { headers: { cookie: await sessionCookie(READ_TOKEN) }, redirect: "manual" }),
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
    await recordCronRun({
      status: "done",
      at: now - 20 * MINUTE,
      windowFrom: now - 80 * MINUTE,
      ordersListed: 40,
      missed: 10,
      finishedAt: now - 19 * MINUTE,
    });
    await recordCronRun({ status: "failed", at: now - 5 * MINUTE, error: "order list page 1: HTTP 503 from Omisell" });
    for (const n of [1, 2, 3]) await insertReconciledEvent(`OM-DASH-${n}`, now - n * 1000);

    const html = card(await overview());

    expect(html).toContain(">failed</span>");
    expect(html).toContain("order list page 1: HTTP 503 from Omisell");
    expect(html).toContain("75.0 %");
    expect(html).toMatch(/<li class="some"><span class="day">today<\/span><span class="n">3<\/span><\/li><\/ol>/);
    expect(html).toContain(`<span class="day">${new Date(now - DAY).toISOString().slice(5, 10)}</span>`);
    expect(html).toMatch(/Missed, last 7 days<\/dt><dd>3</);
  });
});
