/**
 * /dashboard/destinations: everyone sees each destination's health and the alerts; admins create,
 * edit, pause, resume, rotate (the new secret shown once) and test through CSRF-protected forms
 * that call the API's actions; a bad form shows what is wrong and changes nothing.
 */
import { env, exports } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import { newScenario } from "./helpers/forward";
import { ADMIN_TOKEN, BASE, READ_TOKEN } from "./helpers/read-api";
import { csrfOf, dashboardForm, dashboardPage, sessionCookie } from "./helpers/session";

afterEach(() => {
  vi.restoreAllMocks();
});

const page = dashboardPage;

/** An admin form POST with the session's CSRF token. */
async function post(path: string, fields: Record<string, string>, token = ADMIN_TOKEN) {
  return exports.default.fetch(await dashboardForm(path, { csrf: await csrfOf(token), ...fields }, token));
}

async function rows() {
  const { results } = await env.DB.prepare(
    "SELECT id, name, state, secret, filter FROM destinations ORDER BY created_at, id",
  ).all<{
    id: string;
    name: string;
    state: string;
    secret: string | null;
    filter: string;
  }>();
  return results;
}

async function createOne(name: string, fields: Record<string, string> = {}) {
  const scenario = await newScenario();
  const res = await post("/dashboard/destinations", { name, url: `https://forward.test/hook/${scenario}`, ...fields });
  expect(res.status).toBe(200);
  const created = (await rows()).find((row) => row.name === name);
  if (!created) throw new Error("not created");
  return { ...created, html: await res.text(), scenario };
}

describe("the Destinations page", () => {
  it("is linked from the navigation and needs a signed-in viewer", async () => {
    const html = await (await page("/dashboard", READ_TOKEN)).text();
    expect(html).toContain('href="/dashboard/destinations"');
    const res = await exports.default.fetch(new Request(`${BASE}/dashboard/destinations`, { redirect: "manual" }));
    expect(res.status).toBe(303);
  });

  it("creates a destination from the admin's form and shows its secret once, never again", async () => {
    const created = await createOne("ERP", {
      events: "order., shipment.delivered",
      seller_ids: "1001",
      rate_per_minute: "600",
    });
    expect(created.html).toContain("Created ERP.");
    expect(created.html).toContain(created.secret ?? "missing");
    expect(JSON.parse(created.filter)).toEqual({ events: ["order.", "shipment.delivered"], seller_ids: ["1001"] });
    const again = await (await page("/dashboard/destinations", ADMIN_TOKEN)).text();
    expect(again).toContain("ERP");
    expect(again).not.toContain(created.secret ?? "missing");
  });

  it("shows every destination's health to a read-only viewer, without a form or a secret", async () => {
    const created = await createOne("Warehouse");
    const html = await (await page("/dashboard/destinations", READ_TOKEN)).text();
    expect(html).toContain("Warehouse");
    expect(html).toContain("Delivered 24 h");
    expect(html).toContain("Lag (seq)");
    expect(html).toContain("Events lost");
    expect(html).not.toContain('action="/dashboard/destinations"');
    expect(html).not.toContain(created.secret ?? "missing");
  });

  it("refuses the forms to a read-only viewer and without the CSRF token, changing nothing", async () => {
    const before = await rows();
    expect((await post("/dashboard/destinations", { name: "x", url: "https://x.example" }, READ_TOKEN)).status).toBe(
      403,
    );
    const headers = new Headers({
      "content-type": "application/x-www-form-urlencoded",
      origin: BASE,
      cookie: await sessionCookie(ADMIN_TOKEN),
    });
    const noToken = await exports.default.fetch(
      new Request(`${BASE}/dashboard/destinations`, { method: "POST", headers, body: "name=x&url=https://x.example" }),
    );
    expect(noToken.status).toBe(403);
    expect(await rows()).toEqual(before);
  });

  it("shows what is wrong with a bad form, keeps what was typed, and creates nothing", async () => {
    const before = await rows();
    const res = await post("/dashboard/destinations", {
      name: "Bad",
      url: "http://erp.example.com/hook",
      statuses: "received",
    });
    expect(res.status).toBe(400);
    const html = await res.text();
    expect(html).toContain("http:// only to localhost");
    expect(html).toContain('value="http://erp.example.com/hook"');
    expect(await rows()).toEqual(before);
  });

  it("pauses and resumes, rotates (the new secret shown once) and tests a destination", async () => {
    const created = await createOne("Chat");
    const paused = await post(`/dashboard/destinations/${created.id}/pause`, {});
    expect(await paused.text()).toContain("Paused Chat");
    expect((await rows()).find((row) => row.id === created.id)?.state).toBe("paused");
    await post(`/dashboard/destinations/${created.id}/resume`, {});
    expect((await rows()).find((row) => row.id === created.id)?.state).toBe("active");

    const rotated = await (await post(`/dashboard/destinations/${created.id}/rotate-secret`, {})).text();
    const secret = (await rows()).find((row) => row.id === created.id)?.secret ?? "missing";
    expect(secret).not.toBe(created.secret);
    expect(rotated).toContain(secret);

    const tested = await (await post(`/dashboard/destinations/${created.id}/test`, {})).text();
    expect(tested).toMatch(/Test of Chat: 200 in \d+ ms\./);
  });

  it("edits a destination through its page", async () => {
    const created = await createOne("Old name");
    const edit = await (await page(`/dashboard/destinations/${created.id}`, ADMIN_TOKEN)).text();
    expect(edit).toContain('value="Old name"');
    const res = await post(`/dashboard/destinations/${created.id}`, {
      name: "New name",
      url: "https://erp.example.com/hook",
      categories: "shipment",
    });
    expect(await res.text()).toContain("Saved New name.");
    const row = (await rows()).find((r) => r.id === created.id);
    expect(row?.name).toBe("New name");
    expect(JSON.parse(row?.filter ?? "{}")).toEqual({ categories: ["shipment"] });
  });

  it("answers 404 for an unknown destination or action", async () => {
    expect((await page("/dashboard/destinations/dst_01KB0000000000000000000000", ADMIN_TOKEN)).status).toBe(404);
    const created = await createOne("Actions");
    expect((await post(`/dashboard/destinations/${created.id}/explode`, {})).status).toBe(404);
  });
});
