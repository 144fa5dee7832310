/**
 * GET /api/deliveries and POST /api/deliveries/{id}/retry through the worker's fetch: filters,
 * pages, the retry of a failed delivery (202, sent again), and every refusal: 404, 409 when not
 * failed, 409 when forwarding is off, 403 for a read token, 400 for bad parameters.
 */
import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { newUlid } from "../src/lib/ids";
import {
  forwardEnv,
  forwardVars,
  insertDelivery,
  insertSettledEvent,
  readDelivery,
  recordingQueue,
} from "./helpers/forward";
import { ADMIN_TOKEN, apiGet, BASE, itRefusesWithoutTokenOrWithBadQueries, json, READ_TOKEN } from "./helpers/read-api";

const _DAY = 86_400_000;

type DeliveryView = { id: string; event_id: string; status: string; attempts: number; last_error: string | null };
type Page = { deliveries: DeliveryView[]; next_cursor: string | null; forwarding: "on" | "off" };

async function newDelivery(eventId: string, status: "pending" | "failed" = "pending"): Promise<string> {
  const now = Date.now();
  const id = await insertDelivery(eventId, now);
  if (status === "failed") {
    await env.DB.prepare(
      "UPDATE deliveries SET status = 'failed', attempts = 25, last_status_code = 500, last_error = 'HTTP 500', next_attempt_at = NULL WHERE id = ?1",
    )
      .bind(id)
      .run();
  }
  return id;
}

/** The worker's fetch with forwarding on (or off), and a queue that records what is sent. */
async function send(method: string, path: string, token: string, forwarding = true) {
  const queue = recordingQueue();
  const workerEnv = forwarding ? forwardEnv(forwardVars("api-deliveries"), queue.queue) : env;
  const { default: worker } = await import("../src/index");
  const ctx = createExecutionContext();
  const request = new Request(`${BASE}${path}`, { method, headers: { authorization: `Bearer ${token}` } });
  const res = await worker.fetch(request, workerEnv, ctx);
  await waitOnExecutionContext(ctx);
  return { res, sent: queue.sent };
}

describe("GET /api/deliveries", () => {
  it("lists an event's deliveries with their status, attempts and last error", async () => {
    const eventId = await insertSettledEvent();
    const id = await newDelivery(eventId, "failed");
    const page = await json<Page>(await apiGet(`/api/deliveries?event_id=${eventId}`));
    expect(page.deliveries).toEqual([
      expect.objectContaining({ id, event_id: eventId, status: "failed", attempts: 25, last_error: "HTTP 500" }),
    ]);
    expect(page.deliveries[0]).not.toHaveProperty("settlement");
  });

  it("filters by status", async () => {
    const failed = await newDelivery(await insertSettledEvent(), "failed");
    const pending = await newDelivery(await insertSettledEvent());
    const page = await json<Page>(await apiGet("/api/deliveries?status=failed&limit=200"));
    const ids = page.deliveries.map((delivery) => delivery.id);
    expect(ids).toContain(failed);
    expect(ids).not.toContain(pending);
    expect(page.deliveries.every((delivery) => delivery.status === "failed")).toBe(true);
  });

  it("pages newest first without overlap, following next_cursor", async () => {
    const eventId = await insertSettledEvent();
    const first = await newDelivery(eventId);
    // Settled again after a replay: a new settlement, a second delivery.
    await env.DB.prepare("UPDATE events SET status = 'received' WHERE id = ?1").bind(eventId).run();
    await env.DB.prepare("UPDATE events SET status = 'processed' WHERE id = ?1").bind(eventId).run();
    const second = await newDelivery(eventId);
    const one = await json<Page>(await apiGet(`/api/deliveries?event_id=${eventId}&limit=1`));
    expect(one.deliveries.map((delivery) => delivery.id)).toEqual([second]);
    const two = await json<Page>(await apiGet(`/api/deliveries?event_id=${eventId}&limit=1&cursor=${one.next_cursor}`));
    expect(two.deliveries.map((delivery) => delivery.id)).toEqual([first]);
    expect(two.next_cursor).toBeNull();
  });

  it("says whether forwarding is on", async () => {
    expect((await json<Page>(await apiGet("/api/deliveries"))).forwarding).toBe("off");
    const { res } = await send("GET", "/api/deliveries", READ_TOKEN);
    expect((await json<Page>(res)).forwarding).toBe("on");
  });

  itRefusesWithoutTokenOrWithBadQueries("/api/deliveries", [
    ["status=done", "status"],
    ["event_id=nope", "event_id"],
    ["limit=0", "limit"],
    ["limit=201", "limit"],
    ["cursor=!!", "cursor"],
    ["after=1", "after"],
  ]);
});

describe("POST /api/deliveries/{id}/retry", () => {
  it("puts a failed delivery back to pending, keeps its history and sends it at once: 202", async () => {
    const id = await newDelivery(await insertSettledEvent(), "failed");
    const { res, sent } = await send("POST", `/api/deliveries/${id}/retry`, ADMIN_TOKEN);
    expect(res.status).toBe(202);
    expect(await res.json()).toEqual({ delivery_id: id, status: "queued" });
    expect(sent.map((message) => message.deliveryId)).toEqual([id]);
    expect(await readDelivery(id)).toMatchObject({ status: "pending", attempts: 25, last_error: "HTTP 500" });
  });

  it("answers 409 not_failed for a delivery that has not failed, and leaves it alone", async () => {
    const id = await newDelivery(await insertSettledEvent());
    const { res, sent } = await send("POST", `/api/deliveries/${id}/retry`, ADMIN_TOKEN);
    expect(res.status).toBe(409);
    expect((await json<{ error: string }>(res)).error).toBe("not_failed");
    expect(sent).toEqual([]);
  });

  it("answers 409 forwarding_off while FORWARD_URL is unset, and leaves the delivery failed", async () => {
    const id = await newDelivery(await insertSettledEvent(), "failed");
    const { res } = await send("POST", `/api/deliveries/${id}/retry`, ADMIN_TOKEN, false);
    expect(res.status).toBe(409);
    expect((await json<{ error: string }>(res)).error).toBe("forwarding_off");
    expect((await readDelivery(id))?.status).toBe("failed");
  });

  it("answers 404 for an unknown delivery", async () => {
    const { res } = await send("POST", `/api/deliveries/${newUlid(Date.now())}/retry`, ADMIN_TOKEN);
    expect(res.status).toBe(404);
  });

  it("answers 400 for an id that is not one", async () => {
    const { res } = await send("POST", "/api/deliveries/not-an-id/retry", ADMIN_TOKEN);
    expect(res.status).toBe(400);
  });

  it("answers 403 to a read token, and leaves the delivery failed", async () => {
    const id = await newDelivery(await insertSettledEvent(), "failed");
    const { res } = await send("POST", `/api/deliveries/${id}/retry`, READ_TOKEN);
    expect(res.status).toBe(403);
    expect((await readDelivery(id))?.status).toBe("failed");
  });
});
