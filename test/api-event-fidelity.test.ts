/**
 * What the read API says about where an event came from and how it arrived: `catalogue`
 * (documented, observed, unlisted), `source` (push, reconcile) and `signature_scheme` on every
 * summary; the request `headers` as an object on one event's detail, never in lists.
 */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { newUlid } from "../src/lib/ids";
import { insertReconciledEvents } from "../src/store/reconcile";
import { samplePush, sendPush } from "./helpers/push";
import { apiGet, json, storeEvent, uniqueSeller } from "./helpers/read-api";

type Summary = Record<string, unknown> & { id: string };

async function listOf(seller: string): Promise<Summary[]> {
  return (await json<{ events: Summary[] }>(await apiGet(`/api/events?seller_id=${seller}`))).events;
}

describe("event summaries", () => {
  it("carry catalogue, source and signature_scheme, without payload or headers", async () => {
    const seller = uniqueSeller();
    const push = samplePush("order.processing", { seller_id: seller });
    const res = await sendPush(push, { headers: { country: "VN" } });
    const [summary] = await listOf(seller);
    expect(summary).toMatchObject({
      id: res.headers.get("Push-Event-Id"),
      catalogue: "observed",
      source: "push",
      signature_scheme: "hmac",
      signature_valid: true,
    });
    expect(summary).not.toHaveProperty("payload");
    expect(summary).not.toHaveProperty("headers");
  });

  it.each([
    ["order.created", "documented"],
    ["shipment.exceptions", "observed"],
    ["orders.created", "unlisted"],
  ])("mark %s as %s", async (event, mark) => {
    const seller = uniqueSeller();
    await storeEvent({ event, seller_id: seller });
    expect((await listOf(seller))[0]?.catalogue).toBe(mark);
  });
});

describe("a reconciled event", () => {
  it("is stored by the reconcile insert beside the new columns and shown with source reconcile", async () => {
    const id = newUlid(Date.now());
    const orderNumber = `OM-REC-${crypto.randomUUID()}`;
    const inserted = await insertReconciledEvents(env.DB, [
      {
        id,
        dedupe_key: `reconcile:${orderNumber}`,
        event: "reconcile.order_changed",
        order_number: orderNumber,
        received_at: Date.now(),
        payload: "{}",
      },
    ]);
    expect(inserted).toEqual([id]);
    expect(await json(await apiGet(`/api/events/${id}`))).toMatchObject({
      source: "reconcile",
      signature_scheme: null,
      signature_valid: null,
      catalogue: "unlisted",
      headers: {},
    });
  });
});

describe("one event's headers", () => {
  it("are an object of the kept request headers", async () => {
    const res = await sendPush(samplePush(), { headers: { "user-agent": "Omisell", "x-omisell-trace": "t-1" } });
    const detail = await json(await apiGet(`/api/events/${res.headers.get("Push-Event-Id")}`));
    expect(detail.headers).toEqual({
      "content-type": "application/json",
      "user-agent": "Omisell",
      "x-omisell-trace": "t-1",
    });
  });
});
