/** Calls the read API like a client, and stores events and snapshots directly so reads can be tested exactly. */
import { env, exports } from "cloudflare:workers";
import { expect, it } from "vitest";
import type { EventRow } from "../../src/events/vocabulary";
import { newUlid } from "../../src/lib/ids";
import { insertEvent } from "../../src/store/event-writes";
import { upsertSnapshot } from "../../src/store/resources";
import { TEST_VARS } from "./test-vars";

export const READ_TOKEN: string = TEST_VARS.READ_API_TOKENS;
export const ADMIN_TOKEN: string = TEST_VARS.ADMIN_API_TOKENS;
export const BASE = "https://omisell-push.example.workers.dev";

export function apiGet(path: string, token: string | null = READ_TOKEN, headers: Record<string, string> = {}) {
  const all = new Headers(headers);
  if (token !== null) all.set("authorization", `Bearer ${token}`);
  return exports.default.fetch(new Request(`${BASE}${path}`, { headers: all }));
}

export function apiPost(path: string, token: string | null = ADMIN_TOKEN) {
  const headers = new Headers();
  if (token !== null) headers.set("authorization", `Bearer ${token}`);
  return exports.default.fetch(new Request(`${BASE}${path}`, { method: "POST", headers }));
}

let counter = 0;

/**
 * Inserts an event row as the push path would, without enqueueing a follow-up, so its status
 * stays what the test set. `at` is the arrival time (ms); the id encodes it.
 */
export async function storeEvent(overrides: Partial<EventRow> & { at?: number } = {}): Promise<EventRow> {
  counter += 1;
  const { at = Date.now(), ...rest } = overrides;
  const orderNumber = rest.order_number ?? `OM-T${counter}-${crypto.randomUUID().slice(0, 8)}`;
  const row = {
    id: newUlid(at),
    dedupe_key: `read-api-${crypto.randomUUID()}`,
    request_id: `req-${counter}`,
    event: "order.shipped",
    category: "order",
    seller_id: "1001",
    resource_type: "order",
    resource_id: orderNumber,
    order_number: orderNumber,
    status: "received" as const,
    signature_valid: true,
    received_at: at,
    payload: JSON.stringify({ event: rest.event ?? "order.shipped", data: { omisell_order_number: orderNumber } }),
    ...rest,
  };
  row.received_at = at;
  await insertEvent(env.DB, row);
  await env.DB.prepare(
    "UPDATE events SET attempts = ?2, last_error = ?3, processed_at = ?4, settled_by = ?5 WHERE id = ?1",
  )
    .bind(row.id, rest.attempts ?? 0, rest.last_error ?? null, rest.processed_at ?? null, rest.settled_by ?? null)
    .run();
  const stored = await env.DB.prepare("SELECT seq FROM events WHERE id = ?1").bind(row.id).first<{ seq: number }>();
  return {
    attempts: 0,
    last_error: null,
    processed_at: null,
    seq: stored?.seq ?? null,
    ...row,
    signature_scheme: row.signature_scheme ?? null,
    source: row.source ?? "push",
    headers: row.headers ?? null,
    settled_by: row.settled_by ?? null,
  };
}

/**
 * Stores the order's snapshot as a follow-up leaves it: Omisell's order detail (`detail`, with
 * the order number and status added) fetched at `fetchedAt`, last refreshed by `lastEventId`.
 */
export async function storeOrderSnapshot(
  orderNumber: string,
  options: { statusName: string; detail?: Record<string, unknown>; fetchedAt?: number; lastEventId?: string | null },
): Promise<void> {
  const { statusName, detail = {}, fetchedAt = Date.now(), lastEventId = null } = options;
  await upsertSnapshot(env.DB, {
    type: "order",
    id: orderNumber,
    seller_id: "1001",
    status_name: statusName,
    data: JSON.stringify({ omisell_order_number: orderNumber, status_name: statusName, ...detail }),
    fetched_at: fetchedAt,
    last_event_id: lastEventId,
  });
}

/** A seller id no other test uses, to isolate a test's rows in a shared database. */
export function uniqueSeller(): string {
  return `seller-${crypto.randomUUID().slice(0, 12)}`;
}

/** Expects the answer to be 400 `invalid_request` with `field` among its `fields`. */
export async function expectInvalidField(res: Response, field: string): Promise<void> {
  expect(res.status).toBe(400);
  const body = await json<{ error: string; fields: Record<string, string> }>(res);
  expect(body.error).toBe("invalid_request");
  expect(Object.keys(body.fields)).toContain(field);
}

/**
 * The two tests every read endpoint gets, declared in its describe: it needs a token, and each of
 * `badQueries` (`[query, field]`) is 400 `invalid_request` naming the field.
 */
export function itRefusesWithoutTokenOrWithBadQueries(path: string, badQueries: [string, string][]): void {
  it("needs a token", async () => {
    expect((await apiGet(path, null)).status).toBe(401);
  });

  it.each(badQueries)("answers 400 naming the field for %s", async (query, field) => {
    await expectInvalidField(await apiGet(`${path}?${query}`), field);
  });
}

export async function json<T = Record<string, unknown>>(res: Response): Promise<T> {
  return (await res.json()) as T;
}
