/**
 * Auto-disable without loss: a destination failing past DESTINATION_DISABLE_AFTER_HOURS (compressed
 * to 36 s here) is disabled by the cron with exactly one `destination.disabled` alert; its cursor
 * and deliveries wait; on resume everything since is delivered, none skipped, and
 * `destination.recovered` follows. Events retention deletes before a cursor reaches them are
 * counted as lost.
 */
import { createScheduledController } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import { runScheduled } from "../src/cron/scheduled";
import { liveForwardDeps } from "../src/forward/deps";
import { pause, resume } from "../src/forward/destinations";
import { sweepDeliveries } from "../src/forward/retries";
import type { DeliveryRow } from "../src/store/deliveries";
import { purgePastRetention } from "./helpers/archive";
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
import { storeEvent } from "./helpers/read-api";

afterEach(() => {
  vi.restoreAllMocks();
});

const DAY = 86_400_000;

async function deliveriesTo(destinationId: string): Promise<DeliveryRow[]> {
  const { results } = await env.DB.prepare("SELECT * FROM deliveries WHERE destination_id = ?1 ORDER BY id")
    .bind(destinationId)
    .all<DeliveryRow>();
  return results;
}

function runCron(at: number, workerEnv: Env) {
  return runScheduled(createScheduledController({ scheduledTime: at, cron: "* * * * *" }), workerEnv);
}

async function script(scenario: string, answers: { status: number }[]) {
  await fetch(`https://forward.test/__script/${scenario}`, { method: "POST", body: JSON.stringify(answers) });
}

async function stateOf(id: string) {
  return env.DB.prepare("SELECT state, disabled_reason, cursor_seq FROM destinations WHERE id = ?1")
    .bind(id)
    .first<{ state: string; disabled_reason: string | null; cursor_seq: number }>();
}

describe("a destination that keeps failing", () => {
  it("is disabled at the threshold with one alert, waits without loss, and after resume gets every event since", async () => {
    const alertScenario = await newScenario([{ status: 200 }]);
    const { queue, sent } = recordingQueue();
    const workerEnv = forwardEnv(
      {
        ALERT_URL: `https://forward.test/hook/${alertScenario}`,
        DESTINATION_DISABLE_AFTER_HOURS: "0.01",
        RECONCILE_EVERY_MINUTES: "0",
        FORWARD_BACKOFF_BASE_SECONDS: "1",
      },
      queue,
    );
    const scenario = await newScenario([{ status: 500 }]);
    const target = await createTestDestination(workerEnv, scenario, { name: "ERP" });
    const before = [await storeEvent({ status: "processed" }), await storeEvent({ status: "processed" })];
    await walk(workerEnv);
    const first = await deliveriesTo(target.id);
    await runForwards(
      first.map((d) => d.id),
      workerEnv,
    );
    expect((await readDelivery(first[0]?.id ?? ""))?.attempts).toBe(1);
    await runCron(Date.now(), workerEnv);
    expect((await stateOf(target.id))?.state).toBe("active");
    // 40 s of failing, as the threshold is 0.01 h (36 s): its streak is moved back rather than waited for.
    await env.DB.prepare("UPDATE destinations SET failing_since = failing_since - 40000 WHERE id = ?1")
      .bind(target.id)
      .run();
    await runCron(Date.now(), workerEnv);
    const disabled = await stateOf(target.id);
    expect(disabled?.state).toBe("disabled");
    expect(disabled?.disabled_reason).toContain("no successful delivery since");
    await runCron(Date.now(), workerEnv);
    const alerts = (await callsOf(alertScenario)).map((call) => JSON.parse(call.body).text as string);
    expect(alerts.filter((text) => text.includes("was disabled"))).toHaveLength(1);
    expect(alerts.find((text) => text.includes("was disabled"))).toContain('"ERP"');

    // While disabled: nothing is attempted, the cursor stays, new events wait.
    const cursor = disabled?.cursor_seq;
    const during = [await storeEvent({ status: "processed" }), await storeEvent({ status: "failed" })];
    await walk(workerEnv);
    expect((await stateOf(target.id))?.cursor_seq).toBe(cursor);
    await makeDue(first[0]?.id ?? "");
    await runForwards([first[0]?.id ?? ""], workerEnv);
    expect((await readDelivery(first[0]?.id ?? ""))?.attempts).toBe(1);

    await script(scenario, [{ status: 204 }]);
    sent.length = 0;
    await resume(adminDepsOf(workerEnv), target.id);
    expect(sent.map((m) => m.deliveryId).sort()).toEqual(first.map((d) => d.id).sort());
    await walk(workerEnv);
    const all = await deliveriesTo(target.id);
    await runForwards(
      all.map((d) => d.id),
      workerEnv,
    );

    const expected = [...before, ...during].map((e) => e.id).sort();
    expect(all.map((d) => d.event_id).sort()).toEqual(expected);
    for (const d of all) expect((await readDelivery(d.id))?.status).toBe("delivered");
    const received = (await callsOf(scenario)).filter((call) => call.headers["webhook-id"]);
    const deliveredIds = new Set(all.map((d) => d.id));
    expect(
      new Set(received.map((call) => call.headers["webhook-id"]).filter((id) => deliveredIds.has(id ?? ""))).size,
    ).toBe(4);

    await runCron(Date.now(), workerEnv);
    const after = (await callsOf(alertScenario)).map((call) => JSON.parse(call.body).text as string);
    expect(after.filter((text) => text.includes("delivers again"))).toHaveLength(1);
    expect(after.filter((text) => text.includes("was disabled"))).toHaveLength(1);
  }, 30_000);

  it("is left active while its failures are younger than the threshold", async () => {
    const { queue } = recordingQueue();
    const workerEnv = forwardEnv({ DESTINATION_DISABLE_AFTER_HOURS: "1", RECONCILE_EVERY_MINUTES: "0" }, queue);
    const scenario = await newScenario([{ status: 503 }]);
    const target = await createTestDestination(workerEnv, scenario);
    await storeEvent({ status: "processed" });
    await walk(workerEnv);
    await runForwards(
      (await deliveriesTo(target.id)).map((d) => d.id),
      workerEnv,
    );
    await runCron(Date.now() + 30 * 60_000, workerEnv);
    expect((await stateOf(target.id))?.state).toBe("active");
  });
});

describe("a paused destination's deliveries", () => {
  it("wait: a message makes no attempt, and the sweeper leaves them alone until the resume", async () => {
    const { queue, sent } = recordingQueue();
    const workerEnv = forwardEnv({}, queue);
    const scenario = await newScenario();
    const target = await createTestDestination(workerEnv, scenario);
    await storeEvent({ status: "processed" });
    await walk(workerEnv);
    const [delivery] = await deliveriesTo(target.id);
    await pause(adminDepsOf(workerEnv), target.id);

    await runForwards([delivery?.id ?? ""], workerEnv);
    await env.DB.prepare("UPDATE deliveries SET next_attempt_at = ?2 WHERE id = ?1")
      .bind(delivery?.id, Date.now() - 3_600_000)
      .run();
    sent.length = 0;
    await sweepDeliveries(liveForwardDeps(workerEnv), Date.now());

    expect(await callsOf(scenario)).toEqual([]);
    expect(await readDelivery(delivery?.id ?? "")).toMatchObject({ status: "pending", attempts: 0 });
    expect(sent.map((m) => m.deliveryId)).not.toContain(delivery?.id);
  });
});

describe("events retention deletes before a cursor reaches them", () => {
  it("are counted in events_lost of each destination that would have taken them, and of no other", async () => {
    const { queue } = recordingQueue();
    const workerEnv = forwardEnv({}, queue);
    const now = Date.now();
    const old = (event: string) =>
      storeEvent({ event, status: "processed", at: now - 95 * DAY, processed_at: now - 94 * DAY });
    const first = await old("order.shipped");
    await old("shipment.delivered");
    await old("order.created");
    const start = (first.seq ?? 1) - 1;
    const behind = await createTestDestination(workerEnv, await newScenario(), {
      start,
      filter: { events: ["order."] },
    });
    const other = await createTestDestination(workerEnv, await newScenario(), {
      start,
      filter: { events: ["return."] },
    });
    const caughtUp = await createTestDestination(workerEnv, await newScenario(), { filter: { events: ["order."] } });
    await pause(adminDepsOf(workerEnv), behind.id);
    await pause(adminDepsOf(workerEnv), other.id);

    const purged = await purgePastRetention(workerEnv, now);

    expect(purged.events ?? 0).toBeGreaterThanOrEqual(3);
    const lost = async (id: string) =>
      (
        await env.DB.prepare("SELECT events_lost FROM destinations WHERE id = ?1")
          .bind(id)
          .first<{ events_lost: number }>()
      )?.events_lost;
    expect(await lost(behind.id)).toBe(2);
    expect(await lost(other.id)).toBe(0);
    expect(await lost(caughtUp.id)).toBe(0);
  });
});
