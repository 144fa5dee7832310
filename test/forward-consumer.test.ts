/**
 * The forwarding consumer, driven through the worker's queue handler against the forward.test
 * stand-in of vitest.config.ts: what it sends, how it signs, and what it records per answer.
 */
import { env } from "cloudflare:workers";
import { Webhook } from "standardwebhooks";
import { afterEach, describe, expect, it, vi } from "vitest";
import { liveForwardDeps } from "../src/forward/deps";
import { retryDelivery } from "../src/forward/retries";
import { newOrderNumber } from "./helpers/followup";
import {
  callsOf,
  forwardEnv,
  forwardVars,
  insertSettledEvent,
  makeDue,
  newScenario,
  readDelivery,
  recordingQueue,
  runForwards,
  TEST_FORWARD_SECRET,
  walkedDelivery,
} from "./helpers/forward";
import { storeOrderSnapshot } from "./helpers/read-api";

afterEach(() => {
  vi.restoreAllMocks();
});

/** A settled event, its pending delivery (made by the walk), and an env forwarding to `scenario`. */
async function setUp(scenario: string, vars: Record<string, string> = {}, orderNumber?: string) {
  const eventId = await insertSettledEvent("processed", orderNumber);
  const { queue, sent } = recordingQueue();
  const workerEnv = forwardEnv(forwardVars(scenario, vars), queue);
  const deliveryId = await walkedDelivery(workerEnv, eventId);
  sent.length = 0;
  return { eventId, deliveryId, workerEnv, sent };
}

/** Delivers one event of `orderNumber` to a fresh destination and returns the `order` its body carried. */
async function orderSent(orderNumber: string): Promise<unknown> {
  const scenario = await newScenario();
  const { deliveryId, workerEnv } = await setUp(scenario, {}, orderNumber);
  await runForwards([deliveryId], workerEnv);
  const [call] = await callsOf(scenario);
  return JSON.parse(call?.body ?? "{}").data.order;
}
describe("a delivery answered 2xx", () => {
  it("is posted once and marked delivered", async () => {
    const scenario = await newScenario([{ status: 204 }]);
    const { deliveryId, workerEnv } = await setUp(scenario);

    const result = await runForwards([deliveryId], workerEnv);

    expect(result.acked).toEqual(["fwd-0"]);
    expect(await callsOf(scenario)).toHaveLength(1);
    const delivery = await readDelivery(deliveryId);
    expect(delivery).toMatchObject({ status: "delivered", attempts: 1, last_status_code: 204, last_error: null });
    expect(delivery?.delivered_at).toBeGreaterThan(0);
    expect(delivery?.next_attempt_at).toBeNull();
  });

  it("carries the event summary and the order snapshot, signed so a Standard Webhooks verifier accepts it", async () => {
    const orderNumber = newOrderNumber();
    await storeOrderSnapshot(orderNumber, { statusName: "Shipped" });
    const scenario = await newScenario();
    const { eventId, deliveryId, workerEnv } = await setUp(scenario, {}, orderNumber);

    await runForwards([deliveryId], workerEnv);

    const [call] = await callsOf(scenario);
    expect(call?.method).toBe("POST");
    expect(call?.headers["content-type"]).toBe("application/json");
    expect(call?.headers["webhook-id"]).toBe(deliveryId);
    const body = new Webhook(TEST_FORWARD_SECRET).verify(call?.body ?? "", call?.headers ?? {});
    const created = (await readDelivery(deliveryId))?.created_at ?? 0;
    expect(body).toEqual({
      type: "order.shipped",
      timestamp: new Date(created).toISOString(),
      data: {
        event: expect.objectContaining({ id: eventId, status: "processed", order_number: orderNumber }),
        order: { omisell_order_number: orderNumber, status_name: "Shipped" },
      },
    });
    expect(body).not.toHaveProperty("data.event.payload");
  });

  it("adds the order list's row to the order as summary when a listing newer than the snapshot settled the event", async () => {
    const orderNumber = newOrderNumber();
    const fetchedAt = Date.now() - 60_000;
    await storeOrderSnapshot(orderNumber, { statusName: "Ready To Ship", fetchedAt });
    const listed = { omisell_order_number: orderNumber, status_name: "Shipped", updated_time: 1_900_000_000 };
    await env.DB.prepare("UPDATE resources SET summary = ?2, summary_at = ?3 WHERE id = ?1")
      .bind(orderNumber, JSON.stringify(listed), fetchedAt + 30_000)
      .run();
    expect(await orderSent(orderNumber)).toEqual({
      omisell_order_number: orderNumber,
      status_name: "Ready To Ship",
      summary: listed,
    });
  });

  it("sends the snapshot alone once its detail is newer than the summary (the backfill fetched it)", async () => {
    const orderNumber = newOrderNumber();
    await storeOrderSnapshot(orderNumber, { statusName: "Shipped" });
    await env.DB.prepare('UPDATE resources SET summary = \'{"status_name":"Shipped"}\', summary_at = ?2 WHERE id = ?1')
      .bind(orderNumber, Date.now() - 60_000)
      .run();
    expect(await orderSent(orderNumber)).toEqual({
      omisell_order_number: orderNumber,
      status_name: "Shipped",
    });
  });

  it("sends order null when no snapshot is stored", async () => {
    const scenario = await newScenario();
    const { deliveryId, workerEnv } = await setUp(scenario);

    await runForwards([deliveryId], workerEnv);

    const [call] = await callsOf(scenario);
    expect(JSON.parse(call?.body ?? "{}").data.order).toBeNull();
  });
});

describe("a delivery that fails", () => {
  it("is retried after 500, 500 and delivered on 200, with the same webhook-id on every attempt", async () => {
    const scenario = await newScenario([{ status: 500 }, { status: 500 }, { status: 200 }]);
    const { deliveryId, workerEnv, sent } = await setUp(scenario);

    await runForwards([deliveryId], workerEnv);
    expect(await readDelivery(deliveryId)).toMatchObject({ status: "pending", attempts: 1, last_status_code: 500 });
    await makeDue(deliveryId);
    await runForwards([deliveryId], workerEnv);
    await makeDue(deliveryId);
    await runForwards([deliveryId], workerEnv);

    const calls = await callsOf(scenario);
    expect(calls.map((call) => call.headers["webhook-id"])).toEqual([deliveryId, deliveryId, deliveryId]);
    expect(await readDelivery(deliveryId)).toMatchObject({ status: "delivered", attempts: 3, last_error: null });
    // Each failure sent a fresh message with the backoff as its delay (15-30 s, then 30-60 s).
    expect(sent.map((message) => message.deliveryId)).toEqual([deliveryId, deliveryId]);
    expect(sent[0]?.delaySeconds).toBeGreaterThanOrEqual(15);
    expect(sent[0]?.delaySeconds).toBeLessThanOrEqual(30);
    expect(sent[1]?.delaySeconds).toBeGreaterThanOrEqual(30);
    expect(sent[1]?.delaySeconds).toBeLessThanOrEqual(60);
  });

  it("records the next attempt's time and the error while it waits", async () => {
    const scenario = await newScenario([{ status: 503 }]);
    const { deliveryId, workerEnv, sent } = await setUp(scenario);
    const before = Date.now();

    const result = await runForwards([deliveryId], workerEnv);

    expect(result).toEqual({ acked: ["fwd-0"], retried: [] });
    const delivery = await readDelivery(deliveryId);
    expect(delivery).toMatchObject({ status: "pending", last_error: "HTTP 503" });
    expect(delivery?.next_attempt_at).toBe((delivery?.last_attempt_at ?? 0) + (sent[0]?.delaySeconds ?? 0) * 1000);
    expect(delivery?.next_attempt_at).toBeGreaterThan(before);
  });

  it("does not follow a 302 and counts it as a failed attempt", async () => {
    const scenario = await newScenario([{ status: 302, location: "https://forward.test/hook/elsewhere-never" }]);
    const { deliveryId, workerEnv } = await setUp(scenario);

    await runForwards([deliveryId], workerEnv);

    expect(await callsOf(scenario)).toHaveLength(1);
    expect(await callsOf("elsewhere-never")).toEqual([]);
    const delivery = await readDelivery(deliveryId);
    expect(delivery).toMatchObject({ status: "pending", attempts: 1, last_status_code: 302 });
    expect(delivery?.last_error).toContain("not followed");
  });

  it("gives up on an attempt at the configured timeout and counts it as a failure", async () => {
    const scenario = await newScenario([{ status: 200, delayMs: 3000 }]);
    const { deliveryId, workerEnv, sent } = await setUp(scenario, { FORWARD_TIMEOUT_MS: "200" });

    const started = Date.now();
    await runForwards([deliveryId], workerEnv);

    expect(Date.now() - started).toBeLessThan(2500);
    expect(await readDelivery(deliveryId)).toMatchObject({
      status: "pending",
      attempts: 1,
      last_status_code: null,
      last_error: "timed out after 200 ms",
    });
    expect(sent).toHaveLength(1);
  });

  it("counts a failed connection as a failed attempt, without a status code", async () => {
    const { deliveryId, workerEnv, sent } = await setUp(await newScenario());
    // The outbound stand-in answers a thrown error with a 500, so the refused connection is a
    // rejected fetch here.
    vi.spyOn(globalThis, "fetch").mockRejectedValue(new TypeError("connection refused"));

    await runForwards([deliveryId], workerEnv);

    const delivery = await readDelivery(deliveryId);
    expect(delivery).toMatchObject({ status: "pending", attempts: 1, last_status_code: null });
    expect(delivery?.last_error).toBe("network error: connection refused");
    expect(sent).toHaveLength(1);
  });

  it("is retried once the attempt it took has lapsed when the attempt throws unexpectedly", async () => {
    const { deliveryId, workerEnv, sent } = await setUp(await newScenario());
    const post = async (): Promise<never> => {
      throw new Error("unexpected");
    };

    const result = await runForwards([deliveryId], workerEnv, { post });

    expect(result.acked).toEqual([]);
    // FORWARD_TIMEOUT_MS (10 s) + the 60 s margin, and a second.
    expect(result.retried).toEqual([{ id: "fwd-0", delaySeconds: 71 }]);
    expect(sent).toEqual([]);
  });

  it("is retried with backoff when deciding throws before an attempt is taken", async () => {
    const { deliveryId, workerEnv } = await setUp(await newScenario());
    const now = (): number => {
      throw new Error("unexpected");
    };

    const result = await runForwards([deliveryId], workerEnv, { now });

    expect(result.acked).toEqual([]);
    // Undecided: the dispatcher's retry, 5 to 10 s after a first delivery (queue/dispatch.ts).
    expect(result.retried).toHaveLength(1);
    expect(result.retried[0]?.delaySeconds).toBeGreaterThanOrEqual(5);
    expect(result.retried[0]?.delaySeconds).toBeLessThanOrEqual(10);
    expect((await readDelivery(deliveryId))?.attempts).toBe(0);
  });

  it("ends failed when an attempt fails after its 3 days, and sends nothing more", async () => {
    const scenario = await newScenario([{ status: 500 }]);
    const { deliveryId, workerEnv, sent } = await setUp(scenario);
    await env.DB.prepare("UPDATE deliveries SET attempts = 24, retry_until = ?2 WHERE id = ?1")
      .bind(deliveryId, Date.now() - 1)
      .run();

    await runForwards([deliveryId], workerEnv);

    expect(await readDelivery(deliveryId)).toMatchObject({
      status: "failed",
      attempts: 25,
      last_status_code: 500,
      last_error: "HTTP 500",
      next_attempt_at: null,
    });
    expect(sent).toEqual([]);
  });
});

describe("a delivery whose event is being replayed", () => {
  async function reopen(eventId: string) {
    await env.DB.prepare("UPDATE events SET status = 'received' WHERE id = ?1").bind(eventId).run();
  }

  it("sends nothing while the event is received again, and waits a minute without counting an attempt", async () => {
    const scenario = await newScenario([{ status: 200 }]);
    const { eventId, deliveryId, workerEnv, sent } = await setUp(scenario);
    await reopen(eventId);
    const before = Date.now();

    const result = await runForwards([deliveryId], workerEnv);

    expect(result.acked).toEqual(["fwd-0"]);
    expect(await callsOf(scenario)).toEqual([]);
    const delivery = await readDelivery(deliveryId);
    expect(delivery).toMatchObject({ status: "pending", attempts: 0, last_error: null });
    expect(delivery?.next_attempt_at).toBeGreaterThanOrEqual(before + 60_000);
    expect(sent).toEqual([{ deliveryId, delaySeconds: 60 }]);
  });

  it("is sent with a final status once the replay has settled the event", async () => {
    const scenario = await newScenario([{ status: 200 }]);
    const { eventId, deliveryId, workerEnv } = await setUp(scenario);
    await reopen(eventId);
    await runForwards([deliveryId], workerEnv);
    await env.DB.prepare("UPDATE events SET status = 'processed' WHERE id = ?1").bind(eventId).run();
    await makeDue(deliveryId);

    await runForwards([deliveryId], workerEnv);

    const calls = await callsOf(scenario);
    expect(calls).toHaveLength(1);
    expect(JSON.parse(calls[0]?.body ?? "{}").data.event.status).toBe("processed");
  });

  it("ends failed, without a request, when the event is still received at the end of its retry window", async () => {
    const scenario = await newScenario([{ status: 200 }]);
    const { eventId, deliveryId, workerEnv } = await setUp(scenario);
    await reopen(eventId);
    await env.DB.prepare("UPDATE deliveries SET retry_until = ?2 WHERE id = ?1").bind(deliveryId, Date.now()).run();

    await runForwards([deliveryId], workerEnv);

    expect(await callsOf(scenario)).toEqual([]);
    expect(await readDelivery(deliveryId)).toMatchObject({ status: "failed", attempts: 0 });
    expect((await readDelivery(deliveryId))?.last_error).toContain("replayed");
  });
});

describe("a failed delivery retried by hand", () => {
  it("goes back to pending with its attempts kept, and is then delivered", async () => {
    const scenario = await newScenario([{ status: 500 }, { status: 200 }]);
    const { deliveryId, workerEnv, sent } = await setUp(scenario);
    await env.DB.prepare("UPDATE deliveries SET retry_until = ?2 WHERE id = ?1")
      .bind(deliveryId, Date.now() - 1)
      .run();
    await runForwards([deliveryId], workerEnv);
    expect((await readDelivery(deliveryId))?.status).toBe("failed");

    expect(await retryDelivery(liveForwardDeps(workerEnv), deliveryId)).toEqual({ kind: "queued" });
    const reopened = await readDelivery(deliveryId);
    expect(reopened).toMatchObject({ status: "pending", attempts: 1, last_error: "HTTP 500" });
    expect(reopened?.retry_until).toBeGreaterThan(Date.now());
    expect(sent).toEqual([{ deliveryId, delaySeconds: undefined }]);

    await runForwards([deliveryId], workerEnv);
    expect(await readDelivery(deliveryId)).toMatchObject({ status: "delivered", attempts: 2 });
  });

  it("is refused for a delivery that is not failed", async () => {
    const scenario = await newScenario();
    const { deliveryId, workerEnv } = await setUp(scenario);
    expect(await retryDelivery(liveForwardDeps(workerEnv), deliveryId)).toEqual({
      kind: "not_failed",
      status: "pending",
    });
  });

  it("answers not_found for an unknown delivery", async () => {
    const { workerEnv } = await setUp(await newScenario());
    expect(await retryDelivery(liveForwardDeps(workerEnv), "01UNKNOWN0000000000000000")).toEqual({ kind: "not_found" });
  });

  it("answers off while forwarding is off", async () => {
    const { deliveryId } = await setUp(await newScenario());
    expect(await retryDelivery(liveForwardDeps(forwardEnv({})), deliveryId)).toEqual({ kind: "off" });
  });
});

describe("messages the consumer leaves alone", () => {
  it("a copy of a message for a delivery already delivered makes no request", async () => {
    const scenario = await newScenario();
    const { deliveryId, workerEnv } = await setUp(scenario);
    await runForwards([deliveryId], workerEnv);

    const result = await runForwards([deliveryId], workerEnv);

    expect(result.acked).toEqual(["fwd-0"]);
    expect(await callsOf(scenario)).toHaveLength(1);
  });

  it("a message arriving before the delivery's next attempt is due makes no request", async () => {
    const scenario = await newScenario([{ status: 500 }]);
    const { deliveryId, workerEnv } = await setUp(scenario);
    await runForwards([deliveryId], workerEnv);

    await runForwards([deliveryId], workerEnv);

    expect(await callsOf(scenario)).toHaveLength(1);
    expect((await readDelivery(deliveryId))?.attempts).toBe(1);
  });

  it("two copies of one message in a batch make one request", async () => {
    const scenario = await newScenario();
    const { deliveryId, workerEnv } = await setUp(scenario);

    await runForwards([deliveryId, deliveryId], workerEnv);

    expect(await callsOf(scenario)).toHaveLength(1);
  });

  it("while forwarding is off, messages are acknowledged and the delivery stays pending", async () => {
    const scenario = await newScenario();
    const { deliveryId } = await setUp(scenario);

    const result = await runForwards([deliveryId], forwardEnv({}));

    expect(result.acked).toEqual(["fwd-0"]);
    expect(await callsOf(scenario)).toEqual([]);
    expect((await readDelivery(deliveryId))?.status).toBe("pending");
  });

  it("a delivery whose event was purged ends failed with the reason, without a request", async () => {
    const scenario = await newScenario();
    const { eventId, deliveryId, workerEnv } = await setUp(scenario);
    await env.DB.prepare("DELETE FROM events WHERE id = ?1").bind(eventId).run();

    await runForwards([deliveryId], workerEnv);

    expect(await callsOf(scenario)).toEqual([]);
    expect(await readDelivery(deliveryId)).toMatchObject({ status: "failed", attempts: 0 });
    expect((await readDelivery(deliveryId))?.last_error).toContain("no longer stored");
  });
});
