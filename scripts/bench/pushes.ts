/**
 * Signed, unique pushes for the load driver. Every body gets its own `request_id` and order
 * number (so each one is a first-time push that is stored and followed up) and is signed the way
 * Omisell is assumed to sign: hex(HMAC-SHA256(secret, callback_url + "|" + raw_body)).
 * Bodies are made ahead of the run, so the load generator spends its time sending, not hashing.
 */
import { signPush } from "../lib/push-signature.ts";

const EVENTS: readonly [event: string, idField: string][] = [
  ["order.created", "omisell_order_number"],
  ["order.ready_to_ship", "omisell_order_number"],
  ["order.shipped", "omisell_order_number"],
  ["order.completed", "omisell_order_number"],
  ["shipment.created", "omisell_shipment_number"],
];

/** A push ready to send: its raw body and the Authorization header that signs it. */
export type SignedPush = { body: Buffer; authorization: string };

/** One push body of about `payloadBytes` bytes (padded with a `note` field, as sellers' notes are). */
export function pushBody(runId: string, n: number, payloadBytes: number): Buffer {
  const [event, idField] = EVENTS[n % EVENTS.length] ?? EVENTS[0]!;
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

export type PushSourceOptions = {
  /** Part of every request_id and order number: pushes of another run id never collide. */
  runId: string;
  secret: string;
  /** The exact URL the target sees, as it is part of the signature. */
  callbackUrl: string;
  payloadBytes: number;
  /** Pushes made before the run starts. */
  prefill: number;
  memoryBytes?: number;
};

export type PushSource = {
  readonly runId: string;
  next(): SignedPush;
  /** Pushes made so far. */
  readonly made: number;
  /** Pushes made during the run, past the prefilled ones. */
  readonly madeOnDemand: number;
};

/**
 * A stream of signed pushes. `prefill` bodies are made at once (bounded by `memoryBytes`); if a
 * run needs more, further ones are made on demand, which both targets of a comparison then pay.
 * A second source with the same run id makes the same pushes again: duplicates.
 */
export function createPushSource({
  runId,
  secret,
  callbackUrl,
  payloadBytes,
  prefill,
  memoryBytes = 256 * 2 ** 20,
}: PushSourceOptions): PushSource {
  let counter = 0;
  const make = (): SignedPush => {
    const body = pushBody(runId, counter++, payloadBytes);
    return { body, authorization: signPush(secret, callbackUrl, body) };
  };
  const ready: (SignedPush | undefined)[] = [];
  const count = Math.min(prefill, Math.max(1, Math.floor(memoryBytes / Math.max(payloadBytes, 1))));
  for (let i = 0; i < count; i++) ready.push(make());
  let taken = 0;
  return {
    runId,
    next() {
      const push = taken < ready.length ? ready[taken] : undefined;
      if (push) {
        ready[taken++] = undefined; // sent pushes are not kept
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
