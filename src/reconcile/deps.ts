/** What a reconciliation run needs from outside, as the worker gives it. */
import { readConfig } from "../config";
import { fail, ok } from "../lib/result";
import { omisellAuth } from "../omisell/auth";
import { omisellConnection } from "../omisell/connection";
import { fetchOrderListPage } from "../omisell/order-list";
import { type ListOrdersCall, pathWithQuery } from "../omisell/order-list-walk";
import type { ReconcileDeps } from "./run";

/**
 * Omisell's order list through the rate limiter at the `reconcile` priority (after push follow-
 * ups, before replays), with the deployment's credentials.
 */
export function liveReconcileDeps(env: Env): ReconcileDeps {
  const config = readConfig(env).omisell;
  const connection = omisellConnection(env, config, null, "reconcile");
  const auth = omisellAuth(env, config, null);
  const listOrders: ListOrdersCall = async (path, query) => {
    const result = await fetchOrderListPage(connection, auth, pathWithQuery(path, query));
    return result.ok ? ok(result.value) : fail({ error: result.reason.error });
  };
  return { listOrders };
}
