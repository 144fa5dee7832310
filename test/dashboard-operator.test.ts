/**
 * The operator's dashboard through fetch like a browser: the health banner on every page while
 * the pipeline is degraded (each reason in words, with its link) and gone once it recovers; the
 * Failures page with its groups and "Replay this group"; a replay's page that refreshes itself
 * until done; deliveries with their event, order, destination and Retry; the overview's honest
 * tiles and free-text event filter.
 */
import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env, exports } from "cloudflare:workers";
import { beforeEach, describe, expect, it, vi } from "vitest";
import { describeReason, REASON_ACTIONS } from "../src/dashboard/health-banner";
import { PIPELINE_REASONS } from "../src/health/pipeline";
import { newUlid } from "../src/lib/ids";
import {
  forwardEnv,
  forwardVars,
  insertDelivery,
  insertSettledEvent,
  readDelivery,
  recordingQueue,
} from "./helpers/forward";
import { ADMIN_TOKEN, BASE, READ_TOKEN, storeEvent, storeOrderSnapshot } from "./helpers/read-api";
import { csrfOf, dashboardForm, sessionCookie } from "./helpers/session";

const HOUR = 3_600_000;

async function page(path: string, token = READ_TOKEN, workerEnv?: Env) {
  const request = new Request(`${BASE}${path}`, {
    headers: { cookie: await sessionCookie(token) },
    redirect: "manual",
  });
  return workerEnv ? fetchWith(workerEnv, request) : exports.default.fetch(request);
}

async function post(path: string, fields: Record<string, string>, token = ADMIN_TOKEN, workerEnv?: Env) {
  const request = await dashboardForm(path, fields, token);
  return workerEnv ? fetchWith(workerEnv, request) : exports.default.fetch(request);
}

/** The worker's fetch with another env (forwarding on). */
async function fetchWith(workerEnv: Env, request: Request) {
  const { default: worker } = await import("../src/index");
  const ctx = createExecutionContext();
  const res = await worker.fetch(request, workerEnv, ctx);
  await waitOnExecutionContext(ctx);
  return res;
}

const html = async (res: Response | Promise<Response>) => (await res).text();

/** A fresh, healthy pipeline for each test: nothing stored that a health reason could see. */
beforeEach(async () => {
  await env.DB.batch([
    env.DB.prepare("DELETE FROM deliveries"),
    env.DB.prepare("DELETE FROM events"),
    env.DB.prepare("DELETE FROM reconcile_runs"),
    env.DB.prepare("DELETE FROM replays"),
  ]);
});

async function failedEvent(lastError: string, orderNumber?: string) {
  return storeEvent({
    status: "failed",
    attempts: 9,
    last_error: lastError,
    processed_at: Date.now(),
    ...(orderNumber ? { order_number: orderNumber, resource_id: orderNumber } : {}),
  });
}

describe("the health banner", () => {
  it("has words and a link for every reason the health check gives", () => {
    for (const reason of PIPELINE_REASONS) {
      expect(REASON_ACTIONS[reason].says.length, reason).toBeGreaterThan(10);
      expect(REASON_ACTIONS[reason].href, reason).toMatch(/^\/dashboard/);
    }
    expect(REASON_ACTIONS.failures.href).toBe("/dashboard/failures");
    expect(REASON_ACTIONS.deliveries_failing.href).toBe("/dashboard/deliveries");
    expect(REASON_ACTIONS.backlog_stale.href).toBe("/dashboard?status=received");
    for (const reason of ["missed_pushes", "reconcile_stale", "silence"] as const) {
      expect(REASON_ACTIONS[reason].href).toBe("/dashboard#reconciliation");
    }
  });

  it("shows a reason it does not know by its name, with the health check as link", () => {
    expect(describeReason("a_reason_from_tomorrow")).toEqual({
      says: "The pipeline reports “a_reason_from_tomorrow”.",
      href: "/health/pipeline",
      action: "See the health check",
    });
  });

  it("is on every page while the pipeline is degraded, with each reason in words and its link", async () => {
    const event = await failedEvent("HTTP 404 from Omisell: Order OM1 not found", "OM-BANNER-1");
    await storeOrderSnapshot("OM-BANNER-1", { statusName: "Shipped" });
    const paths = [
      "/dashboard",
      "/dashboard/failures",
      "/dashboard/deliveries",
      `/dashboard/events/${event.id}`,
      "/dashboard/orders/OM-BANNER-1",
      "/dashboard/no-such-page",
    ];
    for (const path of paths) {
      const text = await html(page(path));
      expect(text, path).toContain('class="health-banner" role="alert"');
      expect(text, path).toMatch(
        /<li data-reason="failures">Events failed recently\. <a href="\/dashboard\/failures">See the failures →<\/a><\/li>/,
      );
    }
  });

  it("names several reasons at once, each with where it is acted on", async () => {
    await failedEvent("boom");
    await storeEvent({ status: "received", at: Date.now() - 2 * HOUR });
    const text = await html(page("/dashboard"));
    expect(text).toContain('<li data-reason="backlog_stale">Events have waited too long for their follow-up.');
    expect(text).toContain('href="/dashboard?status=received"');
    expect(text).toContain('<li data-reason="failures">');
  });

  it("is gone once the pipeline recovers, and never on the sign-in page", async () => {
    const event = await failedEvent("boom");
    expect(await html(page("/dashboard"))).toContain("health-banner");
    await env.DB.prepare("UPDATE events SET processed_at = ?2 WHERE id = ?1")
      .bind(event.id, Date.now() - 2 * HOUR)
      .run();
    expect(await html(page("/dashboard"))).not.toContain("health-banner");
    const signIn = await html(exports.default.fetch(new Request(`${BASE}/dashboard/sign-in`)));
    expect(signIn).not.toContain("health-banner");
  });
});

describe("the Failures page", () => {
  it("groups failures by normalised error with counts, times and samples, and lists each with its error", async () => {
    const a = await failedEvent('HTTP 404 from Omisell: {"detail":"Order OM2411280001 not found"}', "OM2411280001");
    await failedEvent('HTTP 404 from Omisell: {"detail":"Order OM2411280002 not found"}', "OM2411280002");
    await failedEvent("network error: timed out after 10000 ms");
    const text = await html(page("/dashboard/failures"));
    expect(text).toContain("<h1>Failures</h1>");
    expect(text).toContain('aria-current="page">Failures</a>');
    expect(text).toContain("By error (2)");
    expect(text).toMatch(
      /<span class="count">2<\/span><div class="error-of-group"><strong>HTTP 404 from Omisell<\/strong>/,
    );
    expect(text).toContain("{&quot;detail&quot;:&quot;Order # not found&quot;}");
    expect(text).toContain("Grouped: all 3 failed events.");
    // Each failure one by one: time of failure, event, order, error.
    expect(text).toContain(`href="/dashboard/orders/OM2411280001"`);
    expect(text).toContain("Order OM2411280001 not found");
    expect(text).toContain(`/dashboard/events/${a.id}`);
  });

  it("offers Replay this group to an admin only", async () => {
    await failedEvent("network error: timed out after 10000 ms");
    const admin = await html(page("/dashboard/failures", ADMIN_TOKEN));
    expect(admin).toContain('action="/dashboard/failures/replay"');
    expect(admin).toContain(await csrfOf(ADMIN_TOKEN));
    const reader = await html(page("/dashboard/failures", READ_TOKEN));
    expect(reader).not.toContain("Replay this group");
    expect(reader).not.toContain('action="/dashboard/failures/replay"');
  });

  it("replays exactly the group's events, and shows the replay", async () => {
    vi.spyOn(env.FOLLOWUPS, "sendBatch").mockResolvedValue(undefined as never);
    const inGroup = [
      await failedEvent("HTTP 404 from Omisell: Order OM1 not found"),
      await failedEvent("HTTP 404 from Omisell: Order OM2 not found"),
    ];
    const other = await failedEvent("network error: timed out after 10000 ms");
    const admin = await html(page("/dashboard/failures", ADMIN_TOKEN));
    const key = /data-group="([0-9a-f]{8})"><div class="group-head"><span class="count">2</.exec(admin)?.[1] ?? "";

    const res = await post("/dashboard/failures/replay", { csrf: await csrfOf(ADMIN_TOKEN), group: key });

    expect(res.status).toBe(303);
    const location = res.headers.get("Location") ?? "";
    expect(location).toMatch(/^\/dashboard\/replays\/[0-9A-Z]{26}$/);
    const status = async (id: string) =>
      (await env.DB.prepare("SELECT status FROM events WHERE id = ?1").bind(id).first<{ status: string }>())?.status;
    expect(await status(inGroup[0]?.id ?? "")).toBe("received");
    expect(await status(inGroup[1]?.id ?? "")).toBe("received");
    expect(await status(other.id)).toBe("failed");
    const replay = await html(page(location, ADMIN_TOKEN));
    expect(replay).toContain(`${key} (2 events)`);
  });

  it("refuses Replay this group without the form token, to a read-only viewer, and for a group gone", async () => {
    const failed = await failedEvent("boom");
    const key = /data-group="([0-9a-f]{8})"/.exec(await html(page("/dashboard/failures", ADMIN_TOKEN)))?.[1] ?? "";
    expect((await post("/dashboard/failures/replay", { group: key })).status).toBe(403);
    const asReader = await post(
      "/dashboard/failures/replay",
      { csrf: await csrfOf(READ_TOKEN), group: key },
      READ_TOKEN,
    );
    expect(asReader.status).toBe(403);
    const gone = await post("/dashboard/failures/replay", { csrf: await csrfOf(ADMIN_TOKEN), group: "00000000" });
    expect(gone.status).toBe(409);
    const row = await env.DB.prepare("SELECT status FROM events WHERE id = ?1")
      .bind(failed.id)
      .first<{ status: string }>();
    expect(row?.status).toBe("failed");
  });

  it("says so when nothing failed, with no empty group card", async () => {
    const text = await html(page("/dashboard/failures"));
    expect(text).toContain("No event has failed.");
    expect(text).not.toContain("By error");
  });
});

describe("a replay's page", () => {
  async function replayOf(ids: string[], finished: boolean) {
    const id = newUlid(Date.now());
    await env.DB.prepare(
      "INSERT INTO replays (id, filters, matched, queued, cursor, upper_id, created_at, finished_at) VALUES (?1, ?2, ?3, ?3, NULL, ?4, ?5, ?6)",
    )
      .bind(id, '{"status":"failed"}', ids.length, newUlid(Date.now() + 1), Date.now(), finished ? Date.now() : null)
      .run();
    for (const eventId of ids) {
      await env.DB.prepare("UPDATE events SET replay_id = ?2 WHERE id = ?1").bind(eventId, id).run();
    }
    return `/dashboard/replays/${id}`;
  }

  it("shows settled, failed again and waiting, and reloads itself while events wait", async () => {
    const waiting = await storeEvent({ status: "received" });
    const settled = await storeEvent({ status: "processed" });
    const failed = await failedEvent("boom");
    const text = await html(page(await replayOf([waiting.id, settled.id, failed.id], true)));
    expect(text).toContain('<meta http-equiv="refresh" content="5"/>');
    expect(text).toContain("Replay in progress");
    expect(text).toMatch(/Settled<\/div><div class="value">1</);
    expect(text).toMatch(/Failed again<\/div><div class="value">1</);
    expect(text).toMatch(/Waiting<\/div><div class="value">1</);
  });

  it("stops reloading once done, and says it finished", async () => {
    const settled = await storeEvent({ status: "processed" });
    const text = await html(page(await replayOf([settled.id], true)));
    expect(text).toContain("Replay finished");
    expect(text).not.toContain('http-equiv="refresh"');
    expect(text).not.toMatch(/reload/i);
  });
});

describe("deliveries you can act on", () => {
  async function failedDelivery(orderNumber: string) {
    const eventId = await insertSettledEvent("processed", orderNumber);
    const now = Date.now();
    const id = await insertDelivery(eventId, now);
    await env.DB.prepare(
      "UPDATE deliveries SET status = 'failed', attempts = 25, last_status_code = 500, last_error = 'HTTP 500', next_attempt_at = NULL, last_attempt_at = ?2 WHERE id = ?1",
    )
      .bind(id, now)
      .run();
    return { id: id ?? "", eventId };
  }

  it("lists each failing delivery with its event name, order and destination, with no empty card", async () => {
    const { eventId } = await failedDelivery("OM-DLV-1");
    const text = await html(page("/dashboard/deliveries"));
    expect(text).toContain(`<a href="/dashboard/events/${eventId}">order.shipped</a>`);
    expect(text).toContain('href="/dashboard/orders/OM-DLV-1"');
    expect(text).toContain('<td class="hide-sm" title="default">default (FORWARD_URL)</td>');
    expect(text).toContain("Failed (1)");
    expect(text).not.toContain("Retrying after a refusal (0)");
    expect(text).not.toContain("(0)");
  });

  it("says nothing is failing in one line when nothing is", async () => {
    const text = await html(page("/dashboard/deliveries"));
    expect(text).toContain("No delivery is failing");
    expect(text).not.toContain("Failed (");
  });

  it("gives an admin a Retry button per failed delivery, and a read-only viewer none", async () => {
    const { id } = await failedDelivery("OM-DLV-2");
    const admin = await html(page("/dashboard/deliveries", ADMIN_TOKEN));
    expect(admin).toContain(`action="/dashboard/deliveries/${id}/retry"`);
    const reader = await html(page("/dashboard/deliveries", READ_TOKEN));
    expect(reader).not.toContain("/retry");
    expect(reader).not.toContain(">Retry<");
  });

  it("retries a failed delivery from the form: pending again, sent at once", async () => {
    const { id } = await failedDelivery("OM-DLV-3");
    const queue = recordingQueue();
    const workerEnv = forwardEnv(forwardVars("dashboard-retry"), queue.queue);
    const res = await post(
      `/dashboard/deliveries/${id}/retry`,
      { csrf: await csrfOf(ADMIN_TOKEN) },
      ADMIN_TOKEN,
      workerEnv,
    );
    expect(res.status).toBe(303);
    expect(res.headers.get("Location")).toBe(`/dashboard/deliveries?retried=${id}`);
    expect((await readDelivery(id))?.status).toBe("pending");
    expect(queue.sent.map((m) => m.deliveryId)).toEqual([id]);
    expect(await html(page(`/dashboard/deliveries?retried=${id}`, ADMIN_TOKEN, workerEnv))).toContain("Retry queued");
  });

  it("refuses a retry without the form token, from a read-only viewer, and while forwarding is off", async () => {
    const { id } = await failedDelivery("OM-DLV-4");
    const workerEnv = forwardEnv(forwardVars("dashboard-retry-refused"), recordingQueue().queue);
    expect((await post(`/dashboard/deliveries/${id}/retry`, {}, ADMIN_TOKEN, workerEnv)).status).toBe(403);
    const asReader = await post(
      `/dashboard/deliveries/${id}/retry`,
      { csrf: await csrfOf(READ_TOKEN) },
      READ_TOKEN,
      workerEnv,
    );
    expect(asReader.status).toBe(403);
    const off = await post(`/dashboard/deliveries/${id}/retry`, { csrf: await csrfOf(ADMIN_TOKEN) });
    expect(off.status).toBe(409);
    expect((await readDelivery(id))?.status).toBe("failed");
  });
});

describe("the overview", () => {
  it("has a forwarding tile with the last success and how many deliveries fail", async () => {
    const eventId = await insertSettledEvent();
    const now = Date.now();
    const id = await insertDelivery(eventId, now);
    await env.DB.prepare(
      "UPDATE deliveries SET status = 'delivered', attempts = 1, last_attempt_at = ?2, delivered_at = ?2, next_attempt_at = NULL WHERE id = ?1",
    )
      .bind(id, now - 3 * 60_000)
      .run();
    const on = await html(page("/dashboard", READ_TOKEN, forwardEnv(forwardVars("tile"))));
    expect(on).toMatch(
      /Forwarding<\/div><div class="value">3 min ago<\/div><div class="note">last delivered; none failing</,
    );
    const off = await html(page("/dashboard"));
    expect(off).toMatch(/Forwarding<\/div><div class="value">off</);
  });

  it("takes any event name as a filter, suggesting the catalogue and reconcile.order_changed", async () => {
    const reconciled = await storeEvent({ event: "reconcile.order_changed" });
    const text = await html(page("/dashboard?event=reconcile.order_changed"));
    expect(text).toContain(
      '<input name="event" value="reconcile.order_changed" placeholder="e.g. order.shipped" list="event-names"/>',
    );
    expect(text).toContain('<option value="reconcile.order_changed"></option>');
    expect(text).toContain('<option value="order.shipped"></option>');
    expect(text).toContain(`/dashboard/events/${reconciled.id}`);
    expect(text).not.toContain("Any event");
  });

  it("writes its placeholders as hints", async () => {
    const text = await html(page("/dashboard"));
    const placeholders = [...text.matchAll(/placeholder="([^"]*)"/g)].map((m) => m[1]);
    expect(placeholders.length).toBeGreaterThanOrEqual(6);
    for (const placeholder of placeholders) expect(placeholder).toMatch(/^e\.g\. /);
  });

  it("answers a made-up page link with a sentence, not the validator's words", async () => {
    const res = await page(`/dashboard?cursor=${btoa(newUlid(Date.now()))}`);
    expect(res.status).toBe(400);
    const text = await res.text();
    expect(text).toContain("This page link is not one this dashboard made");
    expect(text).not.toContain("No events match");
  });

  it("answers an unknown parameter and a bad order number with one sentence each", async () => {
    const res = await page(`/dashboard?colour=red&order_number=${"x".repeat(201)}`);
    const text = await res.text();
    expect(text).toContain("“colour” is not a filter of this page");
    expect(text).toContain("Order: write an order number of at most 200 characters.");
    const errors = /<ul class="flash bad filter-errors" role="alert">(.*?)<\/ul>/.exec(text)?.[1] ?? "";
    expect(errors.match(/<li>/g)?.length).toBe(2);
  });
});
