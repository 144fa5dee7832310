/**
 * Forwarding and the change feed against the real thing: its own `wrangler dev` with FORWARD_URL
 * pointing at the local receiver (scripts/receiver.ts) and a short forward backoff. A receiver
 * that refuses the first two attempts gets one delivery in three attempts under one webhook-id; a
 * receiver down for 12 s gets it afterwards; a receiver with another secret refuses everything,
 * and the deliveries show as failing with attempts growing. The feed shows every event's last status.
 */
import { createHmac, randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Receiver, startReceiver } from "../../scripts/receiver.ts";
import { E2E_VARS } from "./config";
import { sessionCookie } from "./session";
import { freeLoopbackPort, type LocalStack, type LocalWorker, startLocalStack } from "./stack";

const SECRET = `whsec_${Buffer.from("e2e forwarding secret, 32 bytes!").toString("base64")}`;
const OTHER_SECRET = `whsec_${Buffer.from("not the secret the worker signs w").toString("base64")}`;
const READ = { authorization: `Bearer ${E2E_VARS.READ_API_TOKENS}` };

type Delivery = { id: string; event_id: string; status: string; attempts: number; last_status_code: number | null };

let stack: LocalStack;
let worker: LocalWorker;
let receiver: Receiver;
const pushed: string[] = [];

beforeAll(async () => {
  receiver = await startReceiver({ port: await freeLoopbackPort(), secret: SECRET, log: () => {} });
  stack = await startLocalStack("forward", {
    vars: { FORWARD_URL: `${receiver.url}/hook`, FORWARD_SECRET: SECRET, FORWARD_BACKOFF_BASE_SECONDS: "1" },
  });
  worker = stack.worker;
}, 120_000);

afterAll(async () => {
  await stack?.close();
  await receiver?.close();
});

async function push(): Promise<string> {
  const callbackUrl = `${worker.url}/webhooks/omisell`;
  const body = JSON.stringify({
    request_id: randomUUID(),
    event: "order.shipped",
    seller_id: 1001,
    data: { omisell_order_number: `OM-FWD-${randomUUID().slice(0, 8)}`, status_name: "Shipped" },
  });
  const signature = createHmac("sha256", E2E_VARS.OMISELL_PUSH_SECRET).update(`${callbackUrl}|${body}`).digest("hex");
  const res = await fetch(callbackUrl, { method: "POST", headers: { authorization: signature }, body });
  expect(res.status).toBe(200);
  const id = res.headers.get("push-event-id") as string;
  pushed.push(id);
  return id;
}

async function deliveriesOf(eventId: string): Promise<Delivery[]> {
  const res = await fetch(`${worker.url}/api/deliveries?event_id=${eventId}`, { headers: READ });
  expect(res.status).toBe(200);
  return ((await res.json()) as { deliveries: Delivery[] }).deliveries;
}

/** Polls until `check` gives a value, firing the cron now and then as production does every minute. */
async function waitFor<T>(what: string, check: () => Promise<T | undefined>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (let polls = 1; Date.now() < deadline; polls++) {
    const value = await check();
    if (value !== undefined) return value;
    if (polls % 10 === 0) await fetch(`${worker.url}/__scheduled?cron=*+*+*+*+*`).catch(() => {});
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`${what}: not within ${timeoutMs} ms`);
}

/** Waits until the event's delivery is `delivered`, and returns it. */
function delivered(what: string, eventId: string, timeoutMs: number): Promise<Delivery> {
  return waitFor(
    what,
    async () => {
      const [delivery] = await deliveriesOf(eventId);
      return delivery?.status === "delivered" ? delivery : undefined;
    },
    timeoutMs,
  );
}

const attemptsAt = (eventId: string) => receiver.deliveries().filter((d) => d.eventId === eventId);

describe("forwarding to the local receiver", () => {
  it("delivers once, in three attempts under one webhook-id, when the first two are refused", async () => {
    receiver.setKnobs({ failStatus: 500, failFirst: 2 });
    const eventId = await push();
    const delivery = await delivered("delivered", eventId, 60_000);
    const seen = attemptsAt(eventId);
    expect(seen.map((d) => d.status)).toEqual([500, 500, 204]);
    expect(new Set(seen.map((d) => d.webhookId))).toEqual(new Set([delivery.id]));
    expect(delivery).toMatchObject({ attempts: 3, last_status_code: 204 });
    receiver.setKnobs({ failFirst: 0 });
  }, 90_000);

  it("delivers after the receiver was down for 12 seconds (attempts 1, 2, 4 and 8 s apart)", async () => {
    receiver.setKnobs({ failFirst: 0, downForSeconds: 12 });
    const downAt = Date.now();
    const eventId = await push();
    const delivery = await delivered("delivered after the outage", eventId, 110_000);
    expect(Date.now() - downAt).toBeGreaterThanOrEqual(12_000);
    expect(delivery.attempts).toBeGreaterThan(1);
    expect(attemptsAt(eventId).map((d) => d.status)).toEqual([204]);
  }, 150_000);

  it("shows every delivery refused by a receiver with another secret as failing, attempts growing", async () => {
    const port = receiver.port;
    await receiver.close();
    receiver = await startReceiver({ port, secret: OTHER_SECRET, log: () => {} });
    const eventId = await push();
    const failing = await waitFor(
      "three refused attempts",
      async () => {
        const [delivery] = await deliveriesOf(eventId);
        return delivery && delivery.attempts >= 3 ? delivery : undefined;
      },
      60_000,
    );
    expect(failing).toMatchObject({ status: "pending", last_status_code: 401 });
    expect(attemptsAt(eventId).every((d) => d.status === 401 && !d.valid)).toBe(true);
    const listed = await fetch(`${worker.url}/api/deliveries?status=pending&limit=200`, { headers: READ });
    const pending = ((await listed.json()) as { deliveries: Delivery[] }).deliveries;
    expect(pending.map((d) => d.id)).toContain(failing.id);
    await waitFor(
      "a fourth attempt",
      async () => ((await deliveriesOf(eventId))[0]?.attempts ?? 0) > failing.attempts || undefined,
      60_000,
    );
    const page = await fetch(`${worker.url}/dashboard/deliveries`, {
      headers: { cookie: await sessionCookie(worker.url, E2E_VARS.READ_API_TOKENS) },
    });
    expect(await page.text()).toContain(`/dashboard/events/${eventId}`);
  }, 150_000);

  it("counts, per event pushed, exactly one delivery (none was replayed)", async () => {
    const counts = await Promise.all(pushed.map(async (id) => (await deliveriesOf(id)).length));
    console.log(`deliveries per event: ${JSON.stringify(Object.fromEntries(pushed.map((id, i) => [id, counts[i]])))}`);
    expect(counts).toEqual(pushed.map(() => 1));
  });
});

describe("the change feed of the same worker", () => {
  it("ends, followed by next_after, with every pushed event in its current status", async () => {
    const latest = new Map<string, string>();
    let after = 0;
    for (;;) {
      const res = await fetch(`${worker.url}/api/feed?after=${after}&limit=2`, { headers: READ });
      const page = (await res.json()) as { changes: { id: string; status: string; seq: number }[]; next_after: number };
      for (const change of page.changes) latest.set(change.id, change.status);
      if (page.changes.length === 0) break;
      expect(page.next_after).toBeGreaterThan(after);
      after = page.next_after;
    }
    for (const id of pushed) expect(latest.get(id), id).toBe("processed");
  });
});
