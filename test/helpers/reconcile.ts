/**
 * Helpers for the reconciliation tests: an in-memory Omisell order list behind the injected list
 * call (filtering by updated_from/updated_to, paging with a `next` link like Omisell's), order
 * headers as Omisell lists them, and runs and reconciled events recorded straight into D1.
 */

import { env } from "cloudflare:workers";
import { afterEach, beforeEach, vi } from "vitest";
import type { FollowupMessage } from "../../src/followup/message";
import { newUlid } from "../../src/lib/ids";
import { fail, ok } from "../../src/lib/result";
import type { ListOrdersCall, ListQuery } from "../../src/omisell/order-list-walk";
import { finishRun, insertReconciledEvents, startRun } from "../../src/store/reconcile";
import { insertReceivedEvent, newOrderNumber } from "./followup";
import { recordSends } from "./queue";
import { MINUTE } from "./time";

export type ListedOrder = {
  omisell_order_number: string;
  order_number: string;
  status_id: number;
  status_name: string;
  created_time: number;
  updated_time: number | string;
};

/** An order header as the list answers it; `updatedAtMs` becomes epoch seconds. */
export function listedOrder(omisellOrderNumber: string, updatedAtMs: number): ListedOrder {
  const seconds = Math.floor(updatedAtMs / 1000);
  return {
    omisell_order_number: omisellOrderNumber,
    order_number: `SHOP-${omisellOrderNumber}`,
    status_id: 3,
    status_name: "Ready to ship",
    created_time: seconds - 3600,
    updated_time: seconds,
  };
}

function secondsOf(order: ListedOrder): number {
  const value = order.updated_time;
  return typeof value === "number" ? value : Math.floor(Date.parse(value) / 1000);
}

/**
 * The list call over `orders`. `failOnPage` answers that page with a failure; `pageSize` is
 * the stand-in's page (Omisell's is 100). Returns the queries it was asked.
 */
export function orderListStub(orders: ListedOrder[], options: { pageSize?: number; failOnPage?: number } = {}) {
  const calls: { path: string; query: ListQuery }[] = [];
  const listOrders: ListOrdersCall = async (path, query) => {
    calls.push({ path, query });
    const page = Number(query.page);
    if (options.failOnPage === page) return fail({ error: "HTTP 500 from Omisell" });
    const from = Number(query.updated_from);
    const to = Number(query.updated_to);
    const matching = orders.filter((order) => secondsOf(order) >= from && secondsOf(order) <= to);
    const size = options.pageSize ?? Number(query.page_size);
    const results = matching.slice((page - 1) * size, page * size);
    const more = page * size < matching.length;
    const next = more
      ? `https://api.omisell.test${path}?${new URLSearchParams({ ...query, page: String(page + 1) })}`
      : null;
    return ok({ count: matching.length, next, previous: null, results });
  };
  return { listOrders, calls };
}

/** 30 orders changed at `changedAt`; the first 20 came with a push a minute later. */
export async function thirtyChangesTwentyPushed(changedAt: number) {
  const orders = Array.from({ length: 30 }, () => listedOrder(newOrderNumber(), changedAt));
  for (const order of orders.slice(0, 20)) {
    await insertReceivedEvent({ order_number: order.omisell_order_number, receivedAt: changedAt + MINUTE });
  }
  return { orders, numbers: orders.map((order) => order.omisell_order_number) };
}

/** Every test starts with no runs and no checkpoint. */
export async function clearReconciliation(): Promise<void> {
  await env.DB.batch([
    env.DB.prepare("DELETE FROM reconcile_runs"),
    env.DB.prepare("DELETE FROM reconcile_checkpoint"),
  ]);
}

/** Called at the top of a file: each of its tests starts with no runs, no checkpoint and no mocks. */
export function cleanReconciliationEachTest(): void {
  beforeEach(clearReconciliation);
  afterEach(() => {
    vi.restoreAllMocks();
  });
}

/** Records what reconciliation sends to the follow-up queue, which delivers none of it. */
export const recordFollowups = () => recordSends<FollowupMessage>(env.FOLLOWUPS);

/** An event reconciliation stored, as D1 holds it. */
export type ReconciledRow = {
  id: string;
  dedupe_key: string;
  event: string;
  category: string;
  status: string;
  source: string;
  resource_type: string | null;
  resource_id: string | null;
  order_number: string | null;
  payload: string;
};

/** The events reconciliation stored for these orders. */
export async function reconciledEventsOf(orderNumbers: string[]): Promise<ReconciledRow[]> {
  const { results } = await env.DB.prepare(
    `SELECT id, dedupe_key, event, category, status, source, resource_type, resource_id, order_number, payload
     FROM events WHERE source = 'reconcile' AND order_number IN (SELECT value FROM json_each(?1))`,
  )
    .bind(JSON.stringify(orderNumbers))
    .all<ReconciledRow>();
  return results;
}

/** A cron run recorded as it ends: started and finished at `at`, over the 20 minutes before. */
export type RecordedRun = {
  status: "done" | "failed";
  at: number;
  ordersListed?: number;
  missed?: number;
  error?: string | null;
  /** When it ended, if not at `at`. */
  finishedAt?: number;
  /** The start of its window, if not 20 minutes before `at`. */
  windowFrom?: number;
};

/** Records a finished cron run in D1, as the reconciliation does. Returns its id. */
export function recordCronRun(run: RecordedRun): Promise<string> {
  return recordRun("cron", run);
}

/** Records a finished run of either trigger (a manual one: a range someone asked for). Returns its id. */
export async function recordRun(trigger: "cron" | "manual", run: RecordedRun): Promise<string> {
  const id = newUlid(run.at);
  const windowFrom = run.windowFrom ?? run.at - 20 * MINUTE;
  await startRun(env.DB, { id, trigger, window_from: windowFrom, window_to: run.at, started_at: run.at });
  await finishRun(env.DB, id, {
    status: run.status,
    ordersListed: run.ordersListed ?? 0,
    missed: run.missed ?? 0,
    skippedRows: 0,
    skippedSamples: [],
    error: run.error ?? null,
    finishedAt: run.finishedAt ?? run.at,
    listedTo: run.status === "done" ? run.at : null,
  });
  return id;
}

/**
 * Stores the event a reconciliation adds for a change of `orderNumber` found at `at`, left
 * `received` for its follow-up, or `processed` as after it. Returns its id.
 */
export async function insertReconciledEvent(
  orderNumber: string,
  at: number,
  status: "received" | "processed" = "received",
): Promise<string> {
  const id = newUlid(at);
  await insertReconciledEvents(env.DB, [
    {
      id,
      dedupe_key: `reconcile:${orderNumber}:${at}`,
      event: "reconcile.order_changed",
      order_number: orderNumber,
      received_at: at,
      payload: "{}",
    },
  ]);
  if (status === "processed")
    await env.DB.prepare("UPDATE events SET status = 'processed' WHERE id = ?1").bind(id).run();
  return id;
}
