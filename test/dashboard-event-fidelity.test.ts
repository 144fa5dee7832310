/**
 * The dashboard's event page tells how a push arrived: whether its name is documented, observed
 * or unlisted, its source, which signature scheme it matched, and the request headers kept
 * (escaped, never Authorization).
 */
import { describe, expect, it } from "vitest";
import { CALLBACK_URL, fetchWithEnv, samplePush, sendPush, toBytes } from "./helpers/push";
import { apiGet, READ_TOKEN, storeEvent } from "./helpers/read-api";
import { sessionCookie } from "./helpers/session";

async function eventPage(id: string): Promise<string> {
  const res = await apiGet(`/dashboard/events/${id}`, null, { cookie: await sessionCookie(READ_TOKEN) });
  expect(res.status).toBe(200);
  return res.text();
}

describe("the event page", () => {
  it.each([
    ["order.created", "documented", "documented by Omisell"],
    ["order_return.closed", "observed", "observed in production"],
    ["orders.created", "unlisted", "not in the catalogue"],
  ])("says that %s is %s", async (event, mark, words) => {
    const row = await storeEvent({ event });
    const html = await eventPage(row.id);
    expect(html).toContain(`data-catalogue="${mark}"`);
    expect(html).toContain(words);
  });

  it("says an HMAC-signed push matched the hmac scheme", async () => {
    const res = await sendPush(samplePush());
    const html = await eventPage(res.headers.get("Push-Event-Id") as string);
    expect(html).toContain('data-signature-scheme="hmac"');
    expect(html).toContain("HMAC-SHA256");
  });

  it("says a push carrying the secret matched the static scheme, without showing the secret", async () => {
    const secret = "dashboard-static-secret-77";
    const bytes = toBytes(samplePush());
    const request = new Request(CALLBACK_URL, { method: "POST", headers: { authorization: secret }, body: bytes });
    const res = await fetchWithEnv(request, { OMISELL_PUSH_SECRET: secret });
    const html = await eventPage(res.headers.get("Push-Event-Id") as string);
    expect(html).toContain('data-signature-scheme="static"');
    expect(html).not.toContain(secret);
  });

  it("shows the source of the event", async () => {
    const row = await storeEvent({ source: "reconcile", event: "reconcile.order_changed" });
    expect(await eventPage(row.id)).toMatch(/<dt>Source<\/dt>\s*<dd>reconcile<\/dd>/);
  });

  it("lists the kept request headers, escaped", async () => {
    const res = await sendPush(samplePush(), { headers: { "user-agent": "<script>alert(1)</script>", country: "TH" } });
    const html = await eventPage(res.headers.get("Push-Event-Id") as string);
    expect(html).toContain("Request headers");
    expect(html).toContain("&lt;script&gt;alert(1)&lt;/script&gt;");
    expect(html).not.toContain("<script>alert(1)</script>");
    expect(html).toContain("TH");
  });

  it("says so when no header was kept", async () => {
    const row = await storeEvent({});
    expect(await eventPage(row.id)).toContain("None kept.");
  });
});
