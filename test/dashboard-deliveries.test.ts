/**
 * The dashboard's forwarding views through fetch like a browser: the event page lists the
 * event's deliveries (status, attempts, last status code, last error), and /dashboard/deliveries
 * lists the failed ones and those retrying after a refusal, not the delivered ones.
 */
import { env, exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { insertDelivery, insertSettledEvent } from "./helpers/forward";
import { BASE, READ_TOKEN } from "./helpers/read-api";
import { sessionCookie } from "./helpers/session";

async function page(path: string) {
  const headers = new Headers({ cookie: await sessionCookie(READ_TOKEN) });
  return exports.default.fetch(new Request(`${BASE}${path}`, { headers }));
}

async function deliveryWith(eventId: string, set: string): Promise<string> {
  const now = Date.now();
  const id = await insertDelivery(eventId, now);
  await env.DB.prepare(`UPDATE deliveries SET ${set} WHERE id = ?1`).bind(id).run();
  return id;
}

describe("the event page", () => {
  it("shows the event's deliveries with attempts, last status code, last error and status", async () => {
    const eventId = await insertSettledEvent();
    await deliveryWith(eventId, "attempts = 4, last_status_code = 503, last_error = 'HTTP 503 from the receiver'");
    const res = await page(`/dashboard/events/${eventId}`);
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain("Deliveries (1)");
    // Each row names its destination (the default one's row is paused while FORWARD_URL is unset).
    expect(html).toContain("default (FORWARD_URL)");
    expect(html).toContain("HTTP 503 from the receiver");
    expect(html).toMatch(/<td class="num">4<\/td>/);
    expect(html).toMatch(/>503</);
    expect(html).toContain('class="badge s-received">pending<');
  });

  it("says so when the event has no delivery", async () => {
    const html = await (await page(`/dashboard/events/${await insertSettledEvent()}`)).text();
    expect(html).toContain("Deliveries (0)");
    expect(html).toContain("Not forwarded");
  });
});

describe("/dashboard/deliveries", () => {
  it("lists failed deliveries and those retrying after a refusal, not delivered ones", async () => {
    const failedEvent = await insertSettledEvent();
    const retryingEvent = await insertSettledEvent();
    const deliveredEvent = await insertSettledEvent();
    await deliveryWith(
      failedEvent,
      "status = 'failed', attempts = 25, last_error = 'HTTP 401', next_attempt_at = NULL",
    );
    await deliveryWith(retryingEvent, "attempts = 2, last_error = 'timed out after 10000 ms'");
    await deliveryWith(deliveredEvent, "status = 'delivered', attempts = 1, next_attempt_at = NULL");
    const res = await page("/dashboard/deliveries");
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain(`/dashboard/events/${failedEvent}`);
    expect(html).toContain(`/dashboard/events/${retryingEvent}`);
    expect(html).not.toContain(`/dashboard/events/${deliveredEvent}`);
    expect(html).toContain("No destination is active");
  });

  it("needs a signed-in viewer", async () => {
    const res = await exports.default.fetch(new Request(`${BASE}/dashboard/deliveries`, { redirect: "manual" }));
    expect(res.status).toBe(303);
  });
});
