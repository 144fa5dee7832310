/**
 * What the follow-up consumers need from outside (config, D1, the queue, Omisell, the nudge of the
 * destinations' walk, a clock), as the worker gives it.
 */
import { type Config, readConfig } from "../config";
import { fail, ok } from "../lib/result";
import { omisellAuth } from "../omisell/auth";
import type { BucketView, Priority } from "../omisell/bucket";
import { type OmisellResult, requestOmisellAuthorized } from "../omisell/client";
import { omisellConnection } from "../omisell/connection";
import { peekLimiter } from "../omisell/limiter-handle";
import { fetchOrderDetail, type OrderDetail } from "../omisell/order-detail";
import { type ListOrdersCall, pathWithQuery } from "../omisell/order-list-walk";
import type { MessageSender } from "../queue/send";
import { nudgeWalk } from "../queue/walk-nudge";
import type { WaitingOrders } from "./choice";
import type { FollowupMessage } from "./message";
import { cachedWaitingOrders } from "./waiting";

/** Which order to fetch, for whom, at which priority of the rate limiter. */
export type OrderToFetch = { orderNumber: string; sellerId: string | null; priority: Priority };

/**
 * The follow-up consumer and the dead-letter consumer take their I/O from here, so a test swaps
 * one step (the fetch, the queue, the clock) without patching a module.
 */
export type FollowupDeps = {
  /**
   * The sections they read: `followup`, and `omisell` (the rate limit, the call timeout). A broken
   * one throws `ConfigError` where it is read, inside the decision: the dispatcher still ends
   * every message.
   */
  config: Pick<Config, "followup" | "omisell">;
  db: D1Database;
  /** `omisell-followups`: where waits go back as fresh messages (the dead letters' too). */
  queue: MessageSender<FollowupMessage>;
  /** Omisell's order detail, through the rate limiter, with the deployment's credentials. */
  fetchOrder(order: OrderToFetch): Promise<OmisellResult<OrderDetail>>;
  /** Omisell's order list for the seller's credential, at the `push` priority (the adaptive follow-up). */
  listOrders(sellerId: string | null): ListOrdersCall;
  /** The seller's bucket as it stands (null: the limiter could not be read). */
  bucket(sellerId: string | null): Promise<BucketView | null>;
  /**
   * Orders waiting for a follow-up, and orders with events received in the last `arrivalWindowMs`,
   * each counted over at most `eventCap` events (cached briefly).
   */
  waitingOrders(eventCap: number, arrivalWindowMs: number): Promise<WaitingOrders>;
  /**
   * Nudges the destinations' walk of the change feed, after a batch settled events (their
   * deliveries are created by the walk, from the feed). Never throws.
   */
  nudgeForwarding(): Promise<void>;
  now(): number;
  random(): number;
};

export function liveFollowupDeps(env: Env): FollowupDeps {
  const config = readConfig(env);
  return {
    config,
    db: env.DB,
    queue: env.FOLLOWUPS,
    fetchOrder: (order) =>
      fetchOrderDetail(
        omisellConnection(env, config.omisell, order.sellerId, order.priority),
        omisellAuth(env, config.omisell, order.sellerId),
        order.orderNumber,
      ),
    listOrders: (sellerId) => async (path, query) => {
      const connection = omisellConnection(env, config.omisell, sellerId, "push");
      const result = await requestOmisellAuthorized(
        connection,
        omisellAuth(env, config.omisell, sellerId),
        pathWithQuery(path, query),
      );
      if (result.ok) return ok(result.value);
      const { error, retryAfterSeconds } = result.reason;
      return fail(retryAfterSeconds === undefined ? { error } : { error, retryAfterSeconds });
    },
    bucket: (sellerId) => peekLimiter(env, config.omisell, sellerId),
    waitingOrders: (eventCap, arrivalWindowMs) => cachedWaitingOrders(env.DB, eventCap, arrivalWindowMs, Date.now()),
    nudgeForwarding: () => nudgeWalk(env.FORWARDS),
    now: () => Date.now(),
    random: () => Math.random(),
  };
}
