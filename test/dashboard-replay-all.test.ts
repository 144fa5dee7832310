/**
 * "Replay all" on the Failures page: an admin's CSRF-protected form post replays every failed
 * event as one bulk replay and shows its id and progress; anyone else is refused.
 */
import { env, exports } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import { ADMIN_TOKEN, READ_TOKEN, storeEvent } from "./helpers/read-api";
import { csrfOf, dashboardForm, dashboardPage } from "./helpers/session";

afterEach(() => {
  vi.restoreAllMocks();
});

const page = dashboardPage;

async function post(path: string, fields: Record<string, string>, token = ADMIN_TOKEN) {
  return exports.default.fetch(await dashboardForm(path, fields, token));
}

const statusOf = async (id: string) =>
  (await env.DB.prepare("SELECT status FROM events WHERE id = ?").bind(id).first<{ status: string }>())?.status;

describe("Replay all on the Failures page", () => {
  it("shows the form with its CSRF token to an admin, and not to a read-only viewer", async () => {
    await storeEvent({ status: "failed" });
    const admin = await (await page("/dashboard?status=failed", ADMIN_TOKEN)).text();
    expect(admin).toContain('action="/dashboard/replays"');
    expect(admin).toContain(await csrfOf(ADMIN_TOKEN));
    const reader = await (await page("/dashboard?status=failed", READ_TOKEN)).text();
    expect(reader).not.toContain('action="/dashboard/replays"');
  });

  it("replays every failed event and shows the replay's id and progress", async () => {
    const failed = await storeEvent({ status: "failed" });
    vi.spyOn(env.FOLLOWUPS, "sendBatch").mockResolvedValue(undefined as never);

    const res = await post("/dashboard/replays", { csrf: await csrfOf(ADMIN_TOKEN) });

    expect(res.status).toBe(303);
    const location = res.headers.get("Location") ?? "";
    expect(location).toMatch(/^\/dashboard\/replays\/[0-9A-Z]{26}$/);
    expect(await statusOf(failed.id)).toBe("received");
    const html = await (await page(location, ADMIN_TOKEN)).text();
    expect(html).toContain(location.split("/").at(-1));
    expect(html).toContain("Enqueued");
    expect(html).toMatch(/Settled<\/div><div class="value">0</);
  });

  it("refuses the form without the CSRF token, and a read-only viewer", async () => {
    const failed = await storeEvent({ status: "failed" });
    expect((await post("/dashboard/replays", {})).status).toBe(403);
    expect((await post("/dashboard/replays", { csrf: await csrfOf(READ_TOKEN) }, READ_TOKEN)).status).toBe(403);
    expect(await statusOf(failed.id)).toBe("failed");
  });

  it("answers 404 for an unknown replay", async () => {
    expect((await page("/dashboard/replays/01ZZZZZZZZZZZZZZZZZZZZZZZZ", ADMIN_TOKEN)).status).toBe(404);
  });
});
