/** Whether deliveries keep failing, counting only destinations that are meant to deliver now. */
import { readConfig } from "../config";
import { destinationsWithFailingDeliveries } from "../store/delivery-lists";
import { asConfigured, listDestinationRows } from "../store/destinations";

/**
 * True while a destination that is active or disabled (not paused by an admin, not FORWARD_URL's
 * while that is unset, not deleted) has a delivery refused 3 times or more, or one that ended
 * `failed` within the hour: the failures of a destination nobody expects to deliver do not count.
 */
export async function deliveriesFailingNow(env: Env, now: number): Promise<boolean> {
  const failing = await destinationsWithFailingDeliveries(env.DB, now);
  if (failing.size === 0) return false;
  const forwardUrl = readConfig(env).forward.destination?.url ?? null;
  const rows = await listDestinationRows(env.DB);
  return rows.some((row) => failing.has(row.id) && (asConfigured(row, forwardUrl)?.state ?? "paused") !== "paused");
}
