/**
 * The local forwarding receiver, in-process: its Standard Webhooks check (the `standardwebhooks`
 * package, as a destination would verify) on deliveries signed by that package, its output, and
 * the failures it can be told to play.
 */
import { randomBytes } from "node:crypto";
import { Webhook } from "standardwebhooks";
import { afterEach, describe, expect, it } from "vitest";
import { startReceiver } from "../../scripts/receiver.ts";

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
