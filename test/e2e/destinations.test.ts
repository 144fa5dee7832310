/**
 * Destinations and alerts against the real thing: its own `wrangler dev` with three destinations
 * made through the admin API, each at a local receiver (scripts/receiver.ts, verifying with the
 * `standardwebhooks` package), and a Slack-style alert receiver. Each destination gets exactly
 * its events (the raw one the push body byte for byte), settled → first attempt is measured; a
 * destination down is disabled at a compressed threshold (0.01 h) with one alert, and after its
 * resume gets every event since.
 */
import { createHmac, randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Receiver, startReceiver } from "../../scripts/receiver.ts";
import { E2E_VARS } from "./config";
import { freeLoopbackPort, type LocalStack, startLocalStack } from "./stack";

const ADMIN = { authorization: `Bearer ${E2E_VARS.ADMIN_API_TOKENS}`, "content-type": "application/json" };
const READ = { authorization: `Bearer ${E2E_VARS.READ_API_TOKENS}` };

type Destination = { id: string; state: string; disabled_reason: string | null };
type Delivery = { id: string; event_id: string; status: string; attempts: number; created_at: number };

let stack: LocalStack;
let url: string;
let alerts: Receiver;
const receivers: Record<"orders" | "shipments" | "raw", Receiver | undefined> = {
  orders: undefined,
  shipments: undefined,
  raw: undefined,
};
const destinations: Record<string, Destination> = {};

async function api<T>(method: string, path: string, body?: unknown): Promise<T> {
  const res = await fetch(`${url}${path}`, {
    method,
    headers: method === "GET" ? READ : ADMIN,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

/** A destination at a receiver of its own, started with the secret the API answered. */
async function destination(name: keyof typeof receivers, body: Record<string, unknown>) {
  const port = await freeLoopbackPort();
  const created = await api<{ destination: Destination; secret: string }>("POST", "/api/destinations", {
    name,
    url: `http://127.0.0.1:${port}/hook`,
    ...body,
  });
  receivers[name] = await startReceiver({ port, secret: created.secret, log: () => {} });
  destinations[name] = created.destination;
}

beforeAll(async () => {
  alerts = await startReceiver({ port: await freeLoopbackPort(), slack: true, log: () => {} });
  stack = await startLocalStack("destinations", {
    vars: {
      ALERT_URL: `${alerts.url}/alerts`,
      DESTINATION_DISABLE_AFTER_HOURS: "0.01",
      FORWARD_BACKOFF_BASE_SECONDS: "1",
      RECONCILE_EVERY_MINUTES: "0",
    },
  });
  url = stack.worker.url;
  await destination("orders", { filter: { events: ["order."] } });
  await destination("shipments", { filter: { categories: ["shipment"] } });
  await destination("raw", { format: "raw", filter: { seller_ids: ["2002"] } });
}, 120_000);

afterAll(async () => {
  await stack?.close();
  for (const receiver of [alerts, ...Object.values(receivers)]) await receiver?.close();
});

/** A signed push; returns its event id and the exact body sent. */
async function push(event: string, seller = 1001): Promise<{ id: string; body: string }> {
  const callbackUrl = `${url}/webhooks/omisell`;
  const data: Record<string, unknown> = { omisell_order_number: `OM-DST-${randomUUID().slice(0, 8)}` };
  if (event.startsWith("shipment.")) data.omisell_shipment_number = `SHP-${randomUUID().slice(0, 6)}`;
  const body = JSON.stringify({ request_id: randomUUID(), event, seller_id: seller, data });
  const signature = createHmac("sha256", E2E_VARS.OMISELL_PUSH_SECRET).update(`${callbackUrl}|${body}`).digest("hex");
  const res = await fetch(callbackUrl, { method: "POST", headers: { authorization: signature }, body });
  expect(res.status).toBe(200);
  return { id: res.headers.get("push-event-id") as string, body };
}

async function deliveriesTo(name: string): Promise<Delivery[]> {
  const page = await api<{ deliveries: Delivery[] }>(
    "GET",
    `/api/deliveries?destination_id=${destinations[name]?.id}&limit=200`,
  );
  return page.deliveries;
}

/** Polls until `check` gives a value, firing the cron now and then as production does every minute. */
async function waitFor<T>(what: string, check: () => Promise<T | undefined>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (let polls = 1; Date.now() < deadline; polls++) {
    const value = await check();
    if (value !== undefined) return value;
    if (polls % 4 === 0) await fetch(`${url}/__scheduled?cron=*+*+*+*+*`).catch(() => {});
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`${what}: not within ${timeoutMs} ms`);
}

const delivered = (name: string, count: number) =>
  waitFor(
    `${count} delivered to ${name}`,
    async () => {
      const list = await deliveriesTo(name);
      return list.filter((d) => d.status === "delivered").length >= count ? list : undefined;
    },
    60_000,
  );

const percentile = (values: number[], p: number) => {
  const sorted = values.toSorted((x, y) => x - y);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? 0;
};

describe("three destinations with different filters", () => {
  it("each get exactly their events once, signed, the raw one byte for byte; settled → first attempt measured", async () => {
    const pushed = {
      shipped: await push("order.shipped"),
      created: await push("order.created", 2002),
      delivered: await push("shipment.delivered"),
      returned: await push("order_return.all", 2002),
    };
    await delivered("orders", 2);
    await delivered("shipments", 1);
    await delivered("raw", 2);
    const eventsAt = (name: keyof typeof receivers) =>
      (receivers[name]?.deliveries() ?? []).filter((d) => d.valid && d.status === 204);
    expect(
      eventsAt("orders")
        .map((d) => d.eventId)
        .sort(),
    ).toEqual([pushed.shipped.id, pushed.created.id].sort());
    expect(eventsAt("shipments").map((d) => d.eventId)).toEqual([pushed.delivered.id]);
    expect(
      eventsAt("raw")
        .map((d) => d.body)
        .sort(),
    ).toEqual([pushed.created.body, pushed.returned.body].sort());
    for (const name of ["orders", "shipments", "raw"] as const) {
      expect(receivers[name]?.deliveries().every((d) => d.valid)).toBe(true);
    }

    // Settled → first attempt: when the receiver saw it, against when the event settled.
    const lags: number[] = [];
    for (const d of eventsAt("orders")) {
      const event = await api<{ processed_at: number }>("GET", `/api/events/${d.eventId}`);
      lags.push(d.receivedAt - event.processed_at);
    }
    console.log(
      `settled -> first attempt (ms): ${JSON.stringify(lags)}, p50 ${percentile(lags, 50)}, max ${Math.max(...lags)}`,
    );
    expect(Math.max(...lags)).toBeLessThan(5_000);
  }, 90_000);
});

describe("a destination that is down", () => {
  it("is disabled at the threshold with one alert, and after its resume gets every event since, none skipped", async () => {
    const shipments = receivers.shipments as Receiver;
    shipments.setKnobs({ failStatus: 500, failFirst: 1_000_000 });
    const before = [await push("shipment.created"), await push("shipment.shipped")];
    const disabled = await waitFor(
      "disabled",
      async () => {
        const d = await api<Destination>("GET", `/api/destinations/${destinations.shipments?.id}`);
        return d.state === "disabled" ? d : undefined;
      },
      110_000,
    );
    expect(disabled.disabled_reason).toContain("no successful delivery since");
    await waitFor(
      "the alert",
      async () => (alerts.deliveries().some((a) => a.body.includes("was disabled")) ? true : undefined),
      30_000,
    );

    const during = [await push("shipment.delivered"), await push("shipment.cancelled")];
    shipments.setKnobs({ failFirst: 0 });
    await api("POST", `/api/destinations/${destinations.shipments?.id}/resume`);
    const expected = [...before, ...during].map((p) => p.id);
    const list = await waitFor(
      "every event since delivered",
      async () => {
        const all = await deliveriesTo("shipments");
        const done = all.filter((d) => expected.includes(d.event_id) && d.status === "delivered");
        return done.length === expected.length ? all : undefined;
      },
      90_000,
    );
    expect(list.filter((d) => expected.includes(d.event_id))).toHaveLength(expected.length);
    // The recovery is told once it delivers again; the disabling was told once.
    await waitFor(
      "the recovery alert",
      async () => (alerts.deliveries().some((a) => a.body.includes("delivers again")) ? true : undefined),
      60_000,
    );
    expect(alerts.deliveries().filter((a) => a.body.includes("was disabled"))).toHaveLength(1);
    const listed = await api<{ alerts: { kind: string; status: string }[] }>("GET", "/api/alerts");
    expect(listed.alerts.filter((a) => a.kind === "destination.disabled")).toEqual([
      expect.objectContaining({ status: "sent" }),
    ]);
  }, 240_000);
});
