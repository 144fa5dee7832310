/**
 * End to end over HTTP against the local worker started like `npm start` (with the Omisell
 * stand-in): a push of every category is stored, followed up and queryable through the read
 * API; a storm of 200 concurrent pushes over 20 request ids, with Omisell-style retries, leaves
 * 20 events and 20 follow-ups.
 */
import { afterAll, describe, expect, inject, it } from "vitest";
import { type ApiEvent, e2eClient, FINAL_STATUSES, pushBody, recordFigures, storm } from "./reliability-client";

const standinUrl = inject("standinUrl");
const client = e2eClient(() => inject("workerUrl"));
const figures = { pushesSent: 0, eventsLost: 0, duplicatesStored: 0, fiveHundreds: 0, followupsDone: 0 };

async function send(body: string) {
  const answer = await client.push(body);
  figures.pushesSent += 1;
  if (answer.status >= 500) figures.fiveHundreds += 1;
  return answer;
}

async function eventsOfOrder(orderNumber: string): Promise<ApiEvent[]> {
  const { status, body } = await client.read<{ events: ApiEvent[] }>(
    `/api/events?resource_id=${encodeURIComponent(orderNumber)}&limit=200`,
  );
  expect(status).toBe(200);
  return body.events;
}

afterAll(() => recordFigures("e2e_push", figures));

describe("push → stored → followed up → queryable", () => {
  // Concurrent: each waits on its own follow-up, and the queue batches them together.
  it.concurrent.for([
    { event: "order.shipped", expected: "processed" },
    { event: "shipment.delivered", expected: "processed" },
    { event: "order.si.generate", expected: "final" },
    { event: "order_return.all", expected: "final" },
    { event: "some.future.event", expected: "processed" },
  ])("a $event push ends $expected and is readable through the API", async ({ event, expected }, { expect }) => {
    const { body, orderNumber } = pushBody(event);
    const answer = await send(body);
    expect(answer).toMatchObject({ status: 200, pushStatus: "accepted", body: "" });
    const id = answer.eventId as string;

    const final = await client.waitForEvent(id, (e) => FINAL_STATUSES.includes(e.status));
    figures.followupsDone += 1;
    if (expected !== "final") expect(final.status).toBe(expected);
    if (final.status === "failed") expect(final.last_error).toBeTruthy();

    const listed = await client.read<{ events: ApiEvent[] }>(`/api/events?event=${event}&limit=200`);
    expect(listed.body.events.map((e) => e.id)).toContain(id);
    if (expected === "processed") {
      const order = await client.read<{ order: unknown; events: ApiEvent[] }>(`/api/orders/${orderNumber}`);
      expect(order.status).toBe(200);
      expect(order.body.order).not.toBeNull();
      expect(order.body.events.map((e) => e.id)).toContain(id);
    }
  });
});

describe("a storm over HTTP", () => {
  it("200 concurrent pushes over 20 request ids, retried like Omisell, leave 20 events and 20 follow-ups", async () => {
    await fetch(`${standinUrl}/__standin/reset`, { method: "POST", body: "{}" });
    const pushes = Array.from({ length: 20 }, () => pushBody("order.created"));
    const { deliveries, sendAll, retry } = storm(pushes, send);
    await sendAll(deliveries);
    expect(await retry({ rounds: 5, pauseMs: 500 })).toHaveLength(0);

    for (const push of pushes) {
      const ids = new Set(
        deliveries
          .filter((d) => d.push === push)
          .flatMap((d) => d.answers.filter((a) => a.status === 200).map((a) => a.eventId)),
      );
      expect(ids.size).toBe(1);
      const stored = await eventsOfOrder(push.orderNumber);
      if (stored.length === 0) figures.eventsLost += 1;
      figures.duplicatesStored += Math.max(0, stored.length - 1);
      expect(stored).toHaveLength(1);
      expect(stored[0]?.id).toBe([...ids][0]);
    }
    const accepted = deliveries.flatMap((d) => d.answers).filter((a) => a.pushStatus === "accepted");
    expect(accepted).toHaveLength(20);

    for (const push of pushes) {
      const [event] = await eventsOfOrder(push.orderNumber);
      const final = await client.waitForEvent(event?.id as string, (e) => e.status === "processed");
      expect(final.attempts).toBeGreaterThanOrEqual(1);
      figures.followupsDone += 1;
    }
    const stats = (await (await fetch(`${standinUrl}/__standin/stats`)).json()) as { routes: Record<string, number> };
    // At-least-once: every stored push was fetched from Omisell, none of them more than a few times.
    expect(stats.routes.order).toBeGreaterThanOrEqual(20);
    expect(stats.routes.order).toBeLessThanOrEqual(40);
  });
});
