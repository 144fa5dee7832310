/**
 * Several destinations fed from the change feed: each gets exactly the settlements its filter
 * takes, once each, created in feed order, signed with its own secret, in its own format; two
 * walks racing create each delivery once; a pause keeps the cursor; a rotation signs twice; the
 * rate cap spaces attempts without counting waits as attempts.
 */
import { env } from "cloudflare:workers";
import { Webhook } from "standardwebhooks";
import { afterEach, describe, expect, it, vi } from "vitest";
import { liveForwardDeps } from "../src/forward/deps";
import { pause, resume, rotateSecret } from "../src/forward/destinations";
import { walkDestinations } from "../src/forward/walker";
import { type DeliveryRow, markDelivered } from "../src/store/deliveries";
import { commitWalkStep } from "../src/store/destination-walk";
import {
  adminDepsOf,
  callsOf,
  createTestDestination,
  forwardEnv,
  makeDue,
  newScenario,
  readDelivery,
  recordingQueue,
  runForwards,
  walk,
} from "./helpers/forward";
import { storeEvent, uniqueSeller } from "./helpers/read-api";

afterEach(() => {
  vi.restoreAllMocks();
});

/** An env without FORWARD_URL (only the destinations made here), with a recording FORWARDS queue. */
function setting() {
  const { queue, sent, nudges } = recordingQueue();
  return { workerEnv: forwardEnv({}, queue), sent, nudges };
}

async function deliveriesTo(destinationId: string): Promise<DeliveryRow[]> {
  const { results } = await env.DB.prepare("SELECT * FROM deliveries WHERE destination_id = ?1 ORDER BY id")
    .bind(destinationId)
    .all<DeliveryRow>();
  return results;
}

const seqOf = (delivery: DeliveryRow) => Number(delivery.settlement.split(":")[1]);

/** Settles an event again as a replay would: received, then `status` (each change takes a new seq). */
async function resettle(id: string, status = "processed") {
  await env.DB.prepare("UPDATE events SET status = 'received' WHERE id = ?1").bind(id).run();
  await env.DB.prepare("UPDATE events SET status = ?2, processed_at = ?3 WHERE id = ?1")
    .bind(id, status, Date.now())
    .run();
}

describe("three destinations with different filters", () => {
  it("each get exactly their events, once per settlement, in feed order, signed and in their format", async () => {
    const { workerEnv } = setting();
    const [orders, shipments, sellerRaw] = [await newScenario(), await newScenario(), await newScenario()];
    const seller = uniqueSeller();
    const a = await createTestDestination(workerEnv, orders, { filter: { events: ["order."] } });
    const b = await createTestDestination(workerEnv, shipments, {
      filter: { categories: ["shipment"], statuses: ["processed"] },
    });
    const c = await createTestDestination(workerEnv, sellerRaw, { format: "raw", filter: { seller_ids: [seller] } });
    const rawBody =
      '{"event":"shipment.created",  "data":{"note":"h\u00e9llo \u2713","omisell_order_number":"OM-RAW"}}';
    const shipped = await storeEvent({ event: "order.shipped", category: "order", status: "processed" });
    const created = await storeEvent({ event: "order.created", category: "order", status: "failed" });
    const delivered = await storeEvent({ event: "shipment.delivered", category: "shipment", status: "processed" });
    const mine = await storeEvent({
      event: "shipment.created",
      category: "shipment",
      status: "skipped",
      seller_id: seller,
      payload: rawBody,
    });
    const returned = await storeEvent({
      event: "order_return.all",
      category: "return",
      status: "processed",
      seller_id: seller,
    });
    await storeEvent({ event: "order.cancelled", category: "order", status: "received" });
    await storeEvent({
      event: "omisell_push.selftest",
      category: "unknown",
      status: "skipped",
      source: "selftest",
      seller_id: seller,
    });

    await walk(workerEnv);
    await resettle(shipped.id);
    await walk(workerEnv);

    const toA = await deliveriesTo(a.id);
    const toB = await deliveriesTo(b.id);
    const toC = await deliveriesTo(c.id);
    // Feed order: the first walk met shipped then created; the replay settled shipped again later.
    expect(toA.map((d) => d.event_id)).toEqual([shipped.id, created.id, shipped.id]);
    expect(new Set(toA.map((d) => d.settlement)).size).toBe(3);
    expect(toB.map((d) => d.event_id)).toEqual([delivered.id]);
    expect(toC.map((d) => d.event_id)).toEqual([mine.id, returned.id]);
    for (const list of [toA, toB, toC]) {
      expect(list.map(seqOf)).toEqual([...list.map(seqOf)].sort((x, y) => x - y));
    }

    await runForwards(
      [...toA, ...toB, ...toC].map((d) => d.id),
      workerEnv,
    );

    for (const [scenario, secret, list] of [
      [orders, a.secret, toA],
      [shipments, b.secret, toB],
      [sellerRaw, c.secret, toC],
    ] as const) {
      const calls = await callsOf(scenario);
      expect(calls.map((call) => call.headers["webhook-id"]).sort()).toEqual(list.map((d) => d.id).sort());
      for (const call of calls) expect(() => new Webhook(secret).verify(call.body, call.headers)).not.toThrow();
    }
    const rawCall = (await callsOf(sellerRaw)).find((call) => call.headers["webhook-id"] === toC[0]?.id);
    expect(rawCall?.body).toBe(rawBody);
    const envelope = JSON.parse((await callsOf(shipments))[0]?.body ?? "{}");
    expect(envelope).toMatchObject({ type: "shipment.delivered", data: { event: { id: delivered.id } } });
  });

  it("never deliver the doctor's self-test push, whatever their filter", async () => {
    const { workerEnv } = setting();
    const everything = await createTestDestination(workerEnv, await newScenario());
    const selftest = await storeEvent({ event: "omisell_push.selftest", status: "skipped", source: "selftest" });
    await walk(workerEnv);
    expect((await deliveriesTo(everything.id)).map((d) => d.event_id)).not.toContain(selftest.id);
  });
});

describe("one walker per destination at a time", () => {
  it("two walks racing over the same changes create each delivery once", async () => {
    const { workerEnv } = setting();
    const target = await createTestDestination(workerEnv, await newScenario());
    const events = await Promise.all(Array.from({ length: 12 }, () => storeEvent({ status: "processed" })));

    const deps = liveForwardDeps(workerEnv);
    const now = Date.now();
    const counts = await Promise.all([
      walkDestinations(deps, now),
      walkDestinations(deps, now),
      walkDestinations(deps, now),
    ]);

    const made = await deliveriesTo(target.id);
    expect(made.map((d) => d.event_id).sort()).toEqual(events.map((e) => e.id).sort());
    // The walks created, together, exactly the deliveries that exist for these events (every
    // destination of this file that takes them), none twice.
    const { results } = await env.DB.prepare(
      `SELECT COUNT(*) AS n FROM deliveries WHERE event_id IN (SELECT value FROM json_each(?1))`,
    )
      .bind(JSON.stringify(events.map((e) => e.id)))
      .all<{ n: number }>();
    expect(counts.reduce((x, y) => x + y, 0)).toBe(results[0]?.n);
  });

  it("a walker whose cursor was moved meanwhile inserts nothing, even for changes past the new cursor", async () => {
    const { workerEnv } = setting();
    const target = await createTestDestination(workerEnv, await newScenario());
    await storeEvent({ status: "processed" });
    const row = await env.DB.prepare("SELECT cursor_seq FROM destinations WHERE id = ?1")
      .bind(target.id)
      .first<{ cursor_seq: number }>();
    const stale = (row?.cursor_seq ?? 0) - 1;
    const step = await commitWalkStep(env.DB, {
      destinationId: target.id,
      from: stale,
      to: (row?.cursor_seq ?? 0) + 5,
      token: "lost-the-race",
      idPrefix: "01KB000000ABCDEF",
      now: Date.now(),
      retryUntil: Date.now() + 1000,
    });
    expect(step).toEqual({ held: false, created: [] });
    expect(await deliveriesTo(target.id)).toEqual([]);
  });
});

describe("a paused destination", () => {
  it("keeps its cursor, creates nothing, and on resume continues from there, skipping nothing", async () => {
    const { workerEnv, nudges } = setting();
    const target = await createTestDestination(workerEnv, await newScenario());
    const before = await storeEvent({ status: "processed" });
    await walk(workerEnv);
    const admin = adminDepsOf(workerEnv);
    const paused = await pause(admin, target.id);
    expect(paused.state).toBe("paused");
    const during = await Promise.all([storeEvent({ status: "processed" }), storeEvent({ status: "failed" })]);
    await walk(workerEnv);
    expect((await deliveriesTo(target.id)).map((d) => d.event_id)).toEqual([before.id]);
    const [first] = await deliveriesTo(target.id);
    await runForwards([first?.id ?? ""], workerEnv);
    expect((await readDelivery(first?.id ?? ""))?.attempts).toBe(0);

    nudges.length = 0;
    const resumed = await resume(admin, target.id);
    expect(resumed.state).toBe("active");
    expect(nudges).toEqual([target.id]);
    await walk(workerEnv);

    const made = await deliveriesTo(target.id);
    expect(made.map((d) => d.event_id).sort()).toEqual([before.id, ...during.map((e) => e.id)].sort());
  });
});

describe("a secret rotation", () => {
  it("signs with both secrets for a day: a receiver holding the old one and one holding the new both verify", async () => {
    const { workerEnv } = setting();
    const scenario = await newScenario();
    const target = await createTestDestination(workerEnv, scenario);
    const { secret: rotated } = await rotateSecret(adminDepsOf(workerEnv), target.id);
    expect(rotated).toMatch(/^whsec_/);
    expect(rotated).not.toBe(target.secret);
    await storeEvent({ status: "processed" });
    await walk(workerEnv);
    const [delivery] = await deliveriesTo(target.id);
    await runForwards([delivery?.id ?? ""], workerEnv);

    const [call] = await callsOf(scenario);
    expect(call?.headers["webhook-signature"]?.split(" ")).toHaveLength(2);
    expect(() => new Webhook(target.secret).verify(call?.body ?? "", call?.headers ?? {})).not.toThrow();
    expect(() => new Webhook(rotated).verify(call?.body ?? "", call?.headers ?? {})).not.toThrow();
  });

  it("signs with the new secret alone once the day is over", async () => {
    const { workerEnv } = setting();
    const scenario = await newScenario();
    const target = await createTestDestination(workerEnv, scenario);
    const { secret: rotated } = await rotateSecret(adminDepsOf(workerEnv), target.id);
    await env.DB.prepare("UPDATE destinations SET previous_secret_until = ?2 WHERE id = ?1")
      .bind(target.id, Date.now() - 1)
      .run();
    await storeEvent({ status: "processed" });
    await walk(workerEnv);
    const [delivery] = await deliveriesTo(target.id);
    await runForwards([delivery?.id ?? ""], workerEnv);

    const [call] = await callsOf(scenario);
    expect(call?.headers["webhook-signature"]?.split(" ")).toHaveLength(1);
    expect(() => new Webhook(target.secret).verify(call?.body ?? "", call?.headers ?? {})).toThrow();
    expect(() => new Webhook(rotated).verify(call?.body ?? "", call?.headers ?? {})).not.toThrow();
  });
});

/** A second's spacing, less what a timer firing a little late can take off it. */
const JITTERED_SECOND = 950;

describe("rate_per_minute", () => {
  it("spaces attempts by the cap, and a wait past the horizon is a resend with a delay, not an attempt", async () => {
    const { workerEnv, sent } = setting();
    const target = await createTestDestination(workerEnv, await newScenario(), { rate_per_minute: 60 });
    await Promise.all(Array.from({ length: 4 }, () => storeEvent({ status: "processed" })));
    await walk(workerEnv);
    const made = await deliveriesTo(target.id);
    sent.length = 0;
    // When each attempt leaves the consumer (the receiver's clock would add the network's jitter).
    const starts: number[] = [];
    const post = async () => {
      starts.push(Date.now());
      return { ok: true as const, statusCode: 200 };
    };

    await runForwards(
      made.map((d) => d.id),
      workerEnv,
      { post },
    );

    // A minute's 60 attempts are one a second: two fit within the one-second horizon. Slots are
    // 1000 ms apart; an attempt leaves at its slot give or take a timer's jitter (a few ms).
    expect(starts).toHaveLength(2);
    const spacing = (times: number[]) => times.slice(1).map((t, i) => t - (times[i] ?? 0));
    for (const gap of spacing(starts.toSorted((x, y) => x - y))) expect(gap).toBeGreaterThanOrEqual(JITTERED_SECOND);
    // The other two wait in line, a slot apart, as fresh messages: no attempt counted.
    expect(sent).toHaveLength(2);
    expect(sent.every((m) => (m.delaySeconds ?? 0) >= 1)).toBe(true);
    const tickets = await Promise.all(sent.map((m) => readDelivery(m.deliveryId)));
    expect(Math.abs((tickets[1]?.next_attempt_at ?? 0) - (tickets[0]?.next_attempt_at ?? 0))).toBe(1000);
    const waiting = await readDelivery(sent[0]?.deliveryId ?? "");
    expect(waiting).toMatchObject({ status: "pending", attempts: 0, last_error: null });
    expect(waiting?.next_attempt_at).toBeGreaterThan(Date.now());

    await makeDue(waiting?.id ?? "");
    await runForwards([waiting?.id ?? ""], workerEnv, { post });
    expect(starts).toHaveLength(3);
    expect(spacing(starts.toSorted((x, y) => x - y)).at(-1)).toBeGreaterThanOrEqual(JITTERED_SECOND);
    expect(await readDelivery(waiting?.id ?? "")).toMatchObject({ status: "delivered", attempts: 1 });
  }, 20_000);
});

describe("a destination that misbehaves", () => {
  it("redirecting or answering after FORWARD_TIMEOUT_MS is a failed attempt, and the others in the batch are delivered", async () => {
    const { queue } = recordingQueue();
    const workerEnv = forwardEnv({ FORWARD_TIMEOUT_MS: "300" }, queue);
    const redirect = await newScenario([{ status: 302, location: "https://forward.test/hook/elsewhere" }]);
    const slow = await newScenario([{ status: 200, delayMs: 2000 }]);
    const fine = await newScenario([{ status: 204 }]);
    const ids = {
      redirect: (await createTestDestination(workerEnv, redirect)).id,
      slow: (await createTestDestination(workerEnv, slow)).id,
      fine: (await createTestDestination(workerEnv, fine)).id,
    };
    await storeEvent({ status: "processed" });
    await walk(workerEnv);
    const [toRedirect] = await deliveriesTo(ids.redirect);
    const [toSlow] = await deliveriesTo(ids.slow);
    const [toFine] = await deliveriesTo(ids.fine);

    await runForwards([toRedirect?.id ?? "", toSlow?.id ?? "", toFine?.id ?? ""], workerEnv);

    expect(await readDelivery(toRedirect?.id ?? "")).toMatchObject({
      status: "pending",
      attempts: 1,
      last_status_code: 302,
    });
    expect((await readDelivery(toRedirect?.id ?? ""))?.last_error).toContain("not followed");
    expect(await readDelivery(toSlow?.id ?? "")).toMatchObject({
      status: "pending",
      attempts: 1,
      last_error: "timed out after 300 ms",
    });
    expect(await readDelivery(toFine?.id ?? "")).toMatchObject({ status: "delivered", attempts: 1 });
    const failing = await env.DB.prepare("SELECT failing_since, last_error FROM destinations WHERE id = ?1")
      .bind(ids.slow)
      .first<{ failing_since: number | null; last_error: string }>();
    expect(failing?.failing_since).toBeGreaterThan(0);
    expect(failing?.last_error).toBe("timed out after 300 ms");
  });

  it("counts an outcome once on its destination, also when a copy of the message repeats it", async () => {
    const { workerEnv } = setting();
    const target = await createTestDestination(workerEnv, await newScenario([{ status: 200 }]));
    await storeEvent({ status: "processed" });
    await walk(workerEnv);
    const [delivery] = await deliveriesTo(target.id);
    await markDelivered(env.DB, { id: delivery?.id ?? "", destination_id: target.id }, Date.now(), 200);
    await markDelivered(env.DB, { id: delivery?.id ?? "", destination_id: target.id }, Date.now(), 200);
    const hours = await env.DB.prepare("SELECT SUM(delivered) AS n FROM destination_hours WHERE destination_id = ?1")
      .bind(target.id)
      .first<{ n: number }>();
    expect(hours?.n).toBe(1);
  });
});
