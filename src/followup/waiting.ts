/** The orders waiting for a follow-up, read from D1 at most once a second per isolate. */
import { encodeIdTime } from "../lib/ids";
import { countWaitingOrders } from "../store/followup-waiting";
import type { WaitingOrders } from "./choice";

/** How long a count serves the batches of one isolate. */
export const WAITING_CACHE_MS = 1_000;

const cache = new WeakMap<D1Database, { at: number; eventCap: number; value: WaitingOrders }>();

/**
 * The counts of store/followup-waiting.ts over at most `eventCap` events (waiting, and arrived in
 * the `arrivalWindowMs` before `now`), reused for WAITING_CACHE_MS by the batches of this isolate
 * when it looked at as many events or more: on a sale day several batches a second would otherwise
 * read the same rows each.
 */
export async function cachedWaitingOrders(
  db: D1Database,
  eventCap: number,
  arrivalWindowMs: number,
  now: number,
): Promise<WaitingOrders> {
  const hit = cache.get(db);
  if (hit && now - hit.at < WAITING_CACHE_MS && hit.eventCap >= eventCap) return hit.value;
  const value = await countWaitingOrders(db, eventCap, encodeIdTime(now - arrivalWindowMs));
  cache.set(db, { at: now, eventCap, value });
  return value;
}
