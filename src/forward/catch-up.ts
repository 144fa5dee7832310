/** Forwarding's catch-up (every-minute cron): the deliveries settled events lack, along the change feed. */
import { newUlid } from "../lib/ids";
import { log } from "../lib/log";
import {
  clearForwardWatermark,
  commitCatchUp,
  readCatchUpPage,
  startForwardWatermark,
} from "../store/forward-watermark";
import { RETRY_WINDOW_MS } from "./backoff";
import type { ForwardDeps } from "./deps";
import { sendForwards } from "./message";

export const CATCH_UP_PAGE = 500;
/** At most this many pages a run: up to 5000 changes a minute; a longer backlog takes more runs. */
export const MAX_CATCH_UP_PAGES = 10;

/**
 * Deliveries are created after the write that settles an event, in a D1 call of their own: a
 * failure or a stopped worker in between would leave a settled event that is never forwarded.
 * This walks the change feed past a watermark kept in D1 and creates, and sends, the deliveries
 * such events lack; a delivery that exists already is a no-op (the unique (event_id, settlement)
 * key). The watermark only moves over pages whose deliveries were written in the same transaction.
 * While forwarding is off, the watermark is cleared: the first run with forwarding on starts from
 * the newest change, as events settled while it was off get no delivery either.
 * Returns how many deliveries it created (and sent). Throws on a D1 failure (the cron logs it).
 */
export async function catchUpDeliveries(deps: ForwardDeps, now: number): Promise<number> {
  if (!deps.config.destination) {
    await clearForwardWatermark(deps.db);
    return 0;
  }
  let from = await startForwardWatermark(deps.db);
  let total = 0;
  for (let page = 0; page < MAX_CATCH_UP_PAGES; page++) {
    const rows = await readCatchUpPage(deps.db, from, CATCH_UP_PAGE);
    const last = rows.at(-1);
    if (!last) break;
    const items = rows.filter((row) => row.missing).map((row) => ({ id: newUlid(now), eventId: row.id }));
    const created = await commitCatchUp(deps.db, items, { from, to: last.seq }, now, now + RETRY_WINDOW_MS);
    // Sent before anything else can fail: one left unsent is re-sent by the sweeper once overdue.
    await sendForwards(deps.queue, created);
    total += created.length;
    from = last.seq;
    if (rows.length < CATCH_UP_PAGE) break;
  }
  if (total > 0) log("warn", "forward_caught_up", { deliveries: total, last_seq: from });
  return total;
}
