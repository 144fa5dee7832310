/**
 * The follow-up against the real thing: `wrangler dev` (local D1, Queues, Durable Objects) and
 * the Omisell stand-in. A push goes in over HTTP; the test reads D1 with `wrangler d1 execute`
 * until the queue consumer has done its work, with the stand-in answering well, briefly badly,
 * and permanently badly (then a replay through the admin API).
 */
import { createHmac, randomUUID } from "node:crypto";
import { afterEach, expect, inject, it } from "vitest";
import { wrangler } from "../../scripts/lib/local-stack.ts";
import { E2E_VARS } from "./config";

const workerUrl = inject("workerUrl");
const standinUrl = inject("standinUrl");
const callbackUrl = `${workerUrl}/webhooks/omisell`;

type Row = Record<string, string | number | null>;

function query(sql: string): Row[] {
  const result = wrangler(
    ["d1", "execute", "DB", "--local", "--persist-to", inject("persistTo"), "--json", "--command", sql],
    { stdio: "pipe" },
  );
  if (result.status !== 0) throw new Error(`d1 execute failed: ${result.stderr}`);
  return JSON.parse(result.stdout)[0].results as Row[];
}

/**
 * Polls the event until `done`. Meanwhile it fires the cron now and then, as production does every
 * minute: `wrangler dev` runs crons only on request, and it drops queued messages when it reloads
 * (other people editing src/ while tests run), which is exactly what the sweeper recovers from.
 */
async function waitForEvent(id: string, done: (row: Row) => boolean, timeoutMs = 45_000): Promise<Row> {
  const deadline = Date.now() + timeoutMs;
  let row: Row | undefined;
  let polls = 0;
  while (Date.now() < deadline) {
    row = query(`SELECT status, attempts, last_error FROM events WHERE id = '${id}'`)[0];
    if (row && done(row)) return row;
    polls += 1;
    if (polls % 5 === 0) await fetch(`${workerUrl}/__scheduled?cron=*+*+*+*+*`).catch(() => {});
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`event ${id} did not get there in time; last seen ${JSON.stringify(row)}`);
}

async function setKnobs(knobs: Record<string, number>) {
  const res = await fetch(`${standinUrl}/__standin/knobs`, { method: "POST", body: JSON.stringify(knobs) });
  expect(res.status).toBe(200);
}

async function push(event = "order.shipped") {
  const orderNumber = `OM-E2E-${randomUUID().slice(0, 8)}`;
  const body = JSON.stringify({
    request_id: randomUUID(),
    event,
    seller_id: 1001,
    data: { omisell_order_number: orderNumber, order_number: "SHP-E2E", status_name: "Shipped" },
  });
  const signature = createHmac("sha256", E2E_VARS.OMISELL_PUSH_SECRET).update(`${callbackUrl}|${body}`).digest("hex");
  const res = await fetch(callbackUrl, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: signature },
    body,
  });
  expect(res.status).toBe(200);
  const id = res.headers.get("push-event-id");
  expect(id).toBeTruthy();
  return { id: id as string, orderNumber };
}

afterEach(async () => {
  await setKnobs({ errorRate: 0, errorStatus: 500 });
});

it("a push ends as a processed event with the order snapshot stored", async () => {
  const { id, orderNumber } = await push();

  const row = await waitForEvent(id, (r) => r.status !== "received");

  expect(row).toMatchObject({ status: "processed", attempts: 1, last_error: null });
  const [snapshot] = query(
    `SELECT id, last_event_id, data FROM resources WHERE type = 'order' AND id = '${orderNumber}'`,
  );
  expect(snapshot).toMatchObject({ id: orderNumber, last_event_id: id });
  expect(JSON.parse(String(snapshot?.data))).toMatchObject({
    omisell_order_number: orderNumber,
    parcels: expect.any(Array),
  });
});

it("a follow-up retried through a brief Omisell outage ends processed", async () => {
  await setKnobs({ errorRate: 1, errorStatus: 503 });
  const { id } = await push("shipment.shipped");

  await waitForEvent(id, (r) => Number(r.attempts) >= 2);
  await setKnobs({ errorRate: 0 });
  const row = await waitForEvent(id, (r) => r.status !== "received");

  expect(row.status).toBe("processed");
  expect(Number(row.attempts)).toBeGreaterThanOrEqual(3);
});

it("a permanent Omisell error fails the event, and a replay brings it back to processed", async () => {
  await setKnobs({ errorRate: 1, errorStatus: 404 });
  const { id } = await push();

  const failed = await waitForEvent(id, (r) => r.status !== "received");
  expect(failed).toMatchObject({ status: "failed", attempts: 1 });
  expect(String(failed.last_error)).toContain("HTTP 404");

  await setKnobs({ errorRate: 0 });
  const replay = await fetch(`${workerUrl}/api/events/${id}/replay`, {
    method: "POST",
    headers: { authorization: "Bearer e2e-admin-token" },
  });
  expect(replay.status).toBe(202);
  const row = await waitForEvent(id, (r) => r.status !== "received");
  expect(row).toMatchObject({ status: "processed", attempts: 2, last_error: null });
});

it("an outage longer than the retries ends failed through the dead-letter queue, with the last error", async () => {
  await setKnobs({ errorRate: 1, errorStatus: 503 });
  const { id } = await push();

  // 9 deliveries (max_retries = 8) about 1 s apart with the e2e backoff, then the DLQ consumer.
  const row = await waitForEvent(id, (r) => r.status !== "received", 90_000);

  expect(row.status).toBe("failed");
  // 9 unless a wrangler reload lost a message and the sweeper started a new chain
  expect(Number(row.attempts)).toBeGreaterThanOrEqual(9);
  expect(String(row.last_error)).toContain("HTTP 503");
}, 120_000);
