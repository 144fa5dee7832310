/**
 * The detail backfill (a cron job): orders settled from the order list get their detail fetched
 * again later, at the lowest priority of the rate limiter, only when the bucket has room.
 */
import { type Config, readConfig } from "../config";
import { describeError } from "../errors";
import { log } from "../lib/log";
import { omisellAuth } from "../omisell/auth";
import type { OmisellResult } from "../omisell/client";
import { omisellConnection } from "../omisell/connection";
import type { OmisellLimiter } from "../omisell/limiter-handle";
import { fetchOrderDetail, type OrderDetail } from "../omisell/order-detail";
import { listDetailsDue } from "../store/list-settle";
import { upsertSnapshot } from "../store/resources";
import { forEachWithLimit } from "./parallel";

/** Orders looked at per cron run; the next run goes on. */
export const BACKFILL_PER_RUN = 200;
/** A cron run stops fetching after this long, well within its minute. */
const BACKFILL_RUN_MS = 45_000;

export type BackfillDeps = {
  config: Pick<Config, "followup" | "omisell">;
  db: D1Database;
  /** The order's detail at the `backfill` priority, handed back `throttled` at once rather than waited for. */
  fetchDetail(orderNumber: string, sellerId: string | null): Promise<OmisellResult<OrderDetail>>;
  now(): number;
};

/** A limiter that never has the caller wait: any wait becomes a long one, so the client hands it back. */
function withoutWaiting(limiter: OmisellLimiter): OmisellLimiter {
  return {
    acquire: async (priority) => {
      const answer = await limiter.acquire(priority);
      return answer.go ? answer : { go: false, waitMs: Math.max(answer.waitMs, 60_000) };
    },
    report: (call) => limiter.report(call),
  };
}

export function liveBackfillDeps(env: Env): BackfillDeps {
  const config = readConfig(env);
  return {
    config,
    db: env.DB,
    fetchDetail: (orderNumber, sellerId) => {
      const connection = omisellConnection(env, config.omisell, sellerId, "backfill");
      return fetchOrderDetail(
        { ...connection, limiter: withoutWaiting(connection.limiter) },
        omisellAuth(env, config.omisell, sellerId),
        orderNumber,
      );
    },
    now: () => Date.now(),
  };
}

/**
 * How long after its listing an order's detail is left alone: on a sale day an order changes again
 * within minutes, and one fetch after its last change serves them all. Five freshness targets
 * (10 minutes by default), at least one minute.
 */
export function backfillAfterMs(freshnessTargetMs: number): number {
  return Math.max(60_000, 5 * freshnessTargetMs);
}

/**
 * Fetches the detail of the orders whose summary (from a listing) is newer than their detail and
 * was listed at least `backfillAfterMs` ago, oldest first, FOLLOWUP_PARALLELISM at a time. It
 * takes a slot only at the `backfill` priority (bucket.ts: a quarter of our share, and never within
 * a window of a push follow-up told to wait): the first refusal ends the run, and the next minute
 * goes on. Each detail is stored like a follow-up's (never over a newer one), which makes the order
 * no longer due. Returns the details fetched.
 */
export async function backfillDetails(deps: BackfillDeps): Promise<{ fetched: number; due: number }> {
  const started = deps.now();
  const due = await listDetailsDue(
    deps.db,
    started - backfillAfterMs(deps.config.followup.freshnessTargetMs),
    BACKFILL_PER_RUN,
  );
  let fetched = 0;
  let stopped = false;
  await forEachWithLimit(due, deps.config.followup.parallelism, async (order) => {
    if (stopped || deps.now() - started > BACKFILL_RUN_MS) return;
    const startedAt = deps.now();
    const result = await deps.fetchDetail(order.id, order.seller_id);
    if (!result.ok) {
      if (result.reason.kind === "throttled") stopped = true;
      else log("warn", "backfill_fetch_failed", { order: order.id, error: result.reason.error });
      return;
    }
    try {
      await upsertSnapshot(deps.db, {
        type: "order",
        id: order.id,
        seller_id: result.value.seller_id == null ? order.seller_id : String(result.value.seller_id),
        status_name: result.value.status_name ?? null,
        data: JSON.stringify(result.value),
        fetched_at: startedAt,
        last_event_id: null,
      });
      fetched += 1;
    } catch (err) {
      log("error", "backfill_write_failed", { order: order.id, error: describeError(err) });
    }
  });
  if (due.length > 0) log("info", "backfill_run", { due: due.length, fetched, stopped });
  return { fetched, due: due.length };
}
