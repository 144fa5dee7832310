/**
 * Signed, unique pushes for the load driver. Every body gets its own `request_id` and order
 * number (so each one is a first-time push that is stored and followed up) and is signed the way
 * Omisell is assumed to sign: hex(HMAC-SHA256(secret, callback_url + "|" + raw_body)).
 * Bodies are made ahead of the run, so the load generator spends its time sending, not hashing.
 */
import { createHmac } from "node:crypto";

const EVENTS = [
  ["order.created", "omisell_order_number"],
  ["order.ready_to_ship", "omisell_order_number"],
  ["order.shipped", "omisell_order_number"],
  ["order.completed", "omisell_order_number"],
  ["shipment.created", "omisell_shipment_number"],
];

export function signPush(secret, callbackUrl, body) {
  return createHmac("sha256", secret).update(`${callbackUrl}|`).update(body).digest("hex");
}

/** One push body of about `payloadBytes` bytes (padded with a `note` field, as sellers' notes are). */
export function pushBody(runId, n, payloadBytes) {
  const [event, idField] = EVENTS[n % EVENTS.length];
  const order = `OMB${runId}${String(n).padStart(8, "0")}`;
  const data = {
    omisell_order_number: order,
    order_number: `SHOP-${n}`,
    seller_id: `S${n % 50}`,
    ...(idField === "omisell_shipment_number" ? { omisell_shipment_number: `SHP${runId}${n}` } : {}),
    note: "",
  };
  const envelope = { request_id: `bench-${runId}-${n}`, event, timestamp: 1_765_000_000 + n, data };
  const base = Buffer.byteLength(JSON.stringify(envelope));
  data.note = "x".repeat(Math.max(0, payloadBytes - base));
  return Buffer.from(JSON.stringify(envelope));
}

/**
 * A stream of signed pushes. `prefill` bodies are made at once (bounded by `memoryBytes`); if a
 * run needs more, further ones are made on demand, which both targets of a comparison then pay.
 */
export function createPushSource({ runId, secret, callbackUrl, payloadBytes, prefill, memoryBytes = 256 * 2 ** 20 }) {
  let counter = 0;
  const make = () => {
    const body = pushBody(runId, counter++, payloadBytes);
    return { body, authorization: signPush(secret, callbackUrl, body) };
  };
  const ready = [];
  const count = Math.min(prefill, Math.max(1, Math.floor(memoryBytes / Math.max(payloadBytes, 1))));
  for (let i = 0; i < count; i++) ready.push(make());
  let taken = 0;
  return {
    next() {
      if (taken < ready.length) {
        const push = ready[taken];
        ready[taken++] = undefined;
        return push;
      }
      return make();
    },
    get made() {
      return counter;
    },
    get madeOnDemand() {
      return Math.max(0, counter - count);
    },
  };
}
