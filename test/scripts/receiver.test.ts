/**
 * The local forwarding receiver, in-process: its Standard Webhooks check (the `standardwebhooks`
 * package, as a destination would verify) on deliveries signed by that package, its output, and
 * the failures it can be told to play.
 */
import { randomBytes } from "node:crypto";
import { Webhook } from "standardwebhooks";
import { afterEach, describe, expect, it } from "vitest";
import { receiverSpecs, startReceiver, startReceivers } from "../../scripts/receiver.ts";

const SECRET = `whsec_${randomBytes(24).toString("base64")}`;
const signer = new Webhook(SECRET);

type Receiver = Awaited<ReturnType<typeof startReceiver>>;
let receiver: Receiver | undefined;
let lines: string[] = [];

async function start(options: Record<string, unknown> = {}) {
  lines = [];
  receiver = await startReceiver({ port: 0, secret: SECRET, log: (line: string) => lines.push(line), ...options });
  return receiver;
}
afterEach(async () => {
  await receiver?.close();
  receiver = undefined;
});

const delivery = (eventId = "01JEVENT", orderNumber = "OM-1") =>
  JSON.stringify({
    type: "order.shipped",
    timestamp: new Date().toISOString(),
    data: {
      event: { id: eventId, event: "order.shipped", order_number: orderNumber, status: "processed" },
      order: null,
    },
  });

function send(
  url: string,
  body: string,
  { id = "msg_1", at = new Date(), signature }: { id?: string; at?: Date; signature?: string } = {},
) {
  return fetch(url, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      "webhook-id": id,
      "webhook-timestamp": String(Math.floor(at.getTime() / 1000)),
      "webhook-signature": signature ?? signer.sign(id, at, body),
    },
    body,
  });
}

describe("the receiver's signature check", () => {
  it("accepts a delivery signed by the standardwebhooks package with 204", async () => {
    const { url } = await start();
    const res = await send(`${url}/hook`, delivery());
    expect(res.status).toBe(204);
  });

  it("rejects a tampered body with 401", async () => {
    const { url } = await start();
    const body = delivery();
    const signature = signer.sign("msg_1", new Date(), body);
    const res = await send(url, body.replace("OM-1", "OM-2"), { signature });
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({ error: "invalid_signature" });
  });

  it("rejects a delivery signed with another secret", async () => {
    const { url } = await start();
    const other = new Webhook(`whsec_${randomBytes(24).toString("base64")}`);
    const body = delivery();
    expect((await send(url, body, { signature: other.sign("msg_1", new Date(), body) })).status).toBe(401);
  });

  it("rejects a signature made for another webhook-id", async () => {
    const { url } = await start();
    const body = delivery();
    expect((await send(url, body, { id: "msg_2", signature: signer.sign("msg_1", new Date(), body) })).status).toBe(
      401,
    );
  });

  it("rejects a delivery without the Standard Webhooks headers", async () => {
    const { url } = await start();
    expect((await fetch(url, { method: "POST", body: delivery() })).status).toBe(401);
  });

  it("rejects a timestamp older than the tolerance", async () => {
    const { url } = await start();
    expect((await send(url, delivery(), { at: new Date(Date.now() - 600_000) })).status).toBe(401);
  });

  it("rejects a timestamp older than a tolerance set below the package's five minutes", async () => {
    const { url } = await start({ toleranceSeconds: 60 });
    expect((await send(url, delivery(), { at: new Date(Date.now() - 120_000) })).status).toBe(401);
    expect((await send(url, delivery(), { id: "msg_2" })).status).toBe(204);
  });

  it("refuses a tolerance the package cannot honour", async () => {
    await expect(start({ toleranceSeconds: 0 })).rejects.toThrow(/toleranceSeconds/);
    await expect(start({ toleranceSeconds: 301 })).rejects.toThrow(/toleranceSeconds/);
  });

  it("accepts a signed body that is not JSON, and says so", async () => {
    const { url } = await start();
    expect((await send(url, "not json")).status).toBe(204);
    expect(receiver?.deliveries()).toMatchObject([{ type: "(not JSON)", valid: true }]);
  });

  it("accepts when one of several signatures matches, as during a secret rotation", async () => {
    const { url } = await start();
    const body = delivery();
    const at = new Date();
    const signature = `v1,${randomBytes(32).toString("base64")} ${signer.sign("msg_1", at, body)}`;
    expect((await send(url, body, { at, signature })).status).toBe(204);
  });

  it("agrees with the package on what it accepts", async () => {
    const { url } = await start();
    const body = delivery();
    const at = new Date();
    const headers = {
      "webhook-id": "msg_x",
      "webhook-timestamp": String(Math.floor(at.getTime() / 1000)),
      "webhook-signature": signer.sign("msg_x", at, body),
    };
    expect(signer.verify(body, headers)).toBeTruthy();
    expect((await send(url, body, { id: "msg_x", at })).status).toBe(204);
  });

  it("refuses to start without a secret", async () => {
    await expect(startReceiver({ port: 0 })).rejects.toThrow(/secret/);
  });
});

describe("what the receiver prints and keeps", () => {
  it("prints type, event id, order number, webhook-id and the attempt of each delivery", async () => {
    const { url } = await start();
    await send(url, delivery("01JE1", "OM-77"), { id: "msg_a" });
    await send(url, delivery("01JE1", "OM-77"), { id: "msg_a" });
    expect(lines).toHaveLength(2);
    expect(lines[1]).toMatch(/204 +order\.shipped .*event 01JE1 .*order OM-77 .*webhook-id msg_a attempt 2/);
  });

  it("lists the deliveries over HTTP", async () => {
    const { url } = await start();
    await send(url, delivery("01JE2", "OM-8"), { id: "msg_b" });
    const list = await (await fetch(`${url}/__receiver/deliveries`)).json();
    expect(list).toMatchObject([
      { type: "order.shipped", eventId: "01JE2", orderNumber: "OM-8", webhookId: "msg_b", attempt: 1, status: 204 },
    ]);
  });
});

describe("failures the receiver plays", () => {
  it("fails the first N attempts of each webhook-id with the status asked for", async () => {
    const { url } = await start({ failStatus: 503, failFirst: 2 });
    const a = [];
    for (let i = 0; i < 3; i++) a.push((await send(url, delivery(), { id: "msg_f" })).status);
    const other = (await send(url, delivery(), { id: "msg_g" })).status;
    expect([...a, other]).toEqual([503, 503, 204, 503]);
  });

  it("answers 401, not the failure, to an invalid delivery", async () => {
    const { url } = await start({ failFirst: 5 });
    expect((await send(url, delivery(), { signature: "v1,AAAA" })).status).toBe(401);
  });

  it("is told to fail at run time over HTTP", async () => {
    const { url } = await start();
    const res = await fetch(`${url}/__receiver/knobs`, { method: "POST", body: '{"failStatus":500,"failFirst":1}' });
    expect(res.status).toBe(200);
    expect((await send(url, delivery(), { id: "msg_r" })).status).toBe(500);
    expect((await send(url, delivery(), { id: "msg_r" })).status).toBe(204);
  });

  it("refuses an unknown knob", async () => {
    const { url } = await start();
    expect((await fetch(`${url}/__receiver/knobs`, { method: "POST", body: '{"failFrist":1}' })).status).toBe(400);
  });

  it("refuses connections for the first seconds when down-for is set, then accepts", async () => {
    const { url } = await start({ downForSeconds: 1 });
    await new Promise((r) => setTimeout(r, 100));
    await expect(send(url, delivery())).rejects.toThrow();
    await new Promise((r) => setTimeout(r, 1200));
    expect((await send(url, delivery())).status).toBe(204);
  });

  it("goes down at run time for the seconds asked", async () => {
    const { url } = await start();
    await fetch(`${url}/__receiver/knobs`, { method: "POST", body: '{"downForSeconds":1}' });
    await new Promise((r) => setTimeout(r, 100));
    await expect(send(url, delivery())).rejects.toThrow();
    await new Promise((r) => setTimeout(r, 1200));
    expect((await send(url, delivery())).status).toBe(204);
  });
});

describe("several receivers, and alerts", () => {
  it("reads one receiver per --port, a knob suffixed with @port applying to that one only", () => {
    const specs = receiverSpecs({
      port: ["9001", "9002"],
      secret: [SECRET],
      "fail-status": ["503@9002"],
      "fail-first": ["99@9002", "1"],
      "slack-port": ["9009"],
    });
    expect(specs.map((spec) => [spec.port, spec.slack, spec.failStatus, spec.failFirst])).toEqual([
      [9001, false, "500", "1"],
      [9002, false, "503", "99"],
      [9009, true, "500", "1"],
    ]);
    expect(specs.every((spec) => spec.secret === SECRET)).toBe(true);
    expect(() => receiverSpecs({ port: ["nine"] })).toThrow(/not a port/);
  });

  it("serves them at once, each with its own knobs", async () => {
    const lines: string[] = [];
    const [ok, failing] = await startReceivers(
      [
        { port: 0, secret: SECRET },
        { port: 0, secret: SECRET, failStatus: 500, failFirst: 99 },
      ],
      (line) => lines.push(line),
    );
    try {
      expect((await send(`${ok?.url}/a`, delivery())).status).toBe(204);
      expect((await send(`${failing?.url}/b`, delivery())).status).toBe(500);
      expect(lines.some((line) => line.startsWith(`[0] `))).toBe(true);
    } finally {
      await ok?.close();
      await failing?.close();
    }
  });

  it("prints each Slack-style alert's text and answers 200, without a secret", async () => {
    receiver = await startReceiver({ port: 0, slack: true, log: (line: string) => lines.push(line) });
    lines = [];
    const res = await fetch(receiver.url, {
      method: "POST",
      body: JSON.stringify({ text: "omisell-push: the pipeline is degraded: failures." }),
    });
    expect(res.status).toBe(200);
    expect(lines[0]).toMatch(/ALERT omisell-push: the pipeline is degraded: failures\.$/);
    expect(receiver.deliveries()).toMatchObject([{ type: "alert", valid: true }]);
  });

  it("answers delay-ms later, so a sender's timeout can be watched", async () => {
    const { url } = await start({ delayMs: 300 });
    const started = Date.now();
    expect((await send(url, delivery())).status).toBe(204);
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
  });

  it("describes a raw push body by its event name and order number", async () => {
    const { url } = await start();
    await send(url, JSON.stringify({ event: "shipment.created", data: { omisell_order_number: "OM-RAW-1" } }));
    expect(receiver?.deliveries()).toMatchObject([{ type: "shipment.created", orderNumber: "OM-RAW-1" }]);
  });
});
