/**
 * What the follow-up consumers need from outside (config, D1, the queue, Omisell, the nudge of the
 * destinations' walk, a clock), as the worker gives it.
 */
import { type Config, readConfig } from "../config";
import { omisellAuth } from "../omisell/auth";
import type { Priority } from "../omisell/bucket";
import type { OmisellResult } from "../omisell/client";
import { omisellConnection } from "../omisell/connection";
import { fetchOrderDetail, type OrderDetail } from "../omisell/order-detail";
import type { MessageSender } from "../queue/send";
import { nudgeWalk } from "../queue/walk-nudge";
import type { FollowupMessage } from "./message";

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
    nudgeForwarding: () => nudgeWalk(env.FORWARDS),
    now: () => Date.now(),
    random: () => Math.random(),
  };
}
