/**
 * One push followed all the way: the real push endpoint stores the event and enqueues its
 * follow-up; that very message is handed to the worker's queue handler, which fetches the order
 * from a stub Omisell API and stores the snapshot.
 */
import { env } from "cloudflare:workers";
import { afterEach, expect, it, vi } from "vitest";
import type { FollowupMessage } from "../src/followup/message";
import { livePushSteps, type PushSteps } from "../src/push/ingest";
import { getSnapshot } from "../src/store/resources";
import { deliver, orderAnswer, readEvent, stubOmisell } from "./helpers/followup";
import { samplePush, sendPush } from "./helpers/push";

afterEach(() => {
  vi.restoreAllMocks();
});

it("a signed order push ends as a processed event with the order snapshot stored", async () => {
  const enqueued: FollowupMessage[] = [];
  const steps: PushSteps = {
    ...livePushSteps,
    enqueue: async (queue, eventId, reason) => {
      enqueued.push({ eventId, reason });
      return livePushSteps.enqueue(queue, eventId, reason);
    },
  };
  const push = samplePush("order.shipped");
  const orderNumber = push.data.omisell_order_number;

  const response = await sendPush(push, { steps });
  expect(response.status).toBe(200);
  const eventId = response.headers.get("push-event-id");
  expect(enqueued).toEqual([{ eventId, reason: "push" }]);

  const calls = stubOmisell(() => orderAnswer(orderNumber, { status_name: "Shipped" }));
  const result = await deliver(enqueued.map((message) => ({ eventId: message.eventId, reason: message.reason })));

  expect(result.acked).toHaveLength(1);
  expect(calls.map((call) => call.url)).toEqual([`https://api.omisell.test/api/v2/public/order/${orderNumber}`]);
  expect(await readEvent(eventId ?? "")).toMatchObject({ status: "processed", attempts: 1, order_number: orderNumber });
  const snapshot = await getSnapshot(env.DB, "order", orderNumber);
  expect(snapshot).toMatchObject({ status_name: "Shipped", last_event_id: eventId });
});
