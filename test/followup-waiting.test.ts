/**
 * The adaptive follow-up's view of the queue (store/followup-waiting.ts): distinct orders waiting,
 * how many of them are known (a detail stored), and distinct orders arrived lately whatever their
 * status; each a bounded read down an index, never a scan of the events table.
 */
import { env } from "cloudflare:workers";
import { beforeEach, describe, expect, it } from "vitest";
import { encodeIdTime } from "../src/lib/ids";
import { countWaitingOrders, WAITING_SQL } from "../src/store/followup-waiting";
import { insertReceivedEvent, newOrderNumber } from "./helpers/followup";
import { fullScans, planOf } from "./helpers/query-plan";
import { storeOrderSnapshot } from "./helpers/read-api";
import { MINUTE } from "./helpers/time";

beforeEach(async () => {
  await env.DB.batch([env.DB.prepare("DELETE FROM events"), env.DB.prepare("DELETE FROM resources")]);
});

describe("the orders waiting and arriving", () => {
  it("counts distinct waiting orders, the known ones among them, and distinct orders arrived since the bound", async () => {
    const now = Date.now();
    const [known, fresh, done] = [newOrderNumber(), newOrderNumber(), newOrderNumber()];
    await storeOrderSnapshot(known, { statusName: "Shipped" });
    // Two waiting events of one known order, one of a new order: two orders waiting, one known.
    await insertReceivedEvent({ order_number: known, receivedAt: now - 5 * MINUTE });
    await insertReceivedEvent({ order_number: known, receivedAt: now - 30_000 });
    await insertReceivedEvent({ order_number: fresh, receivedAt: now - 20_000 });
    // Settled, but arrived lately: it counts as arriving, not as waiting.
    await insertReceivedEvent({ order_number: done, receivedAt: now - 10_000, status: "processed" });
    await insertReceivedEvent({ order_number: null, receivedAt: now - 10_000 });

    const counts = await countWaitingOrders(env.DB, 100, encodeIdTime(now - MINUTE));

    expect(counts).toEqual({ orders: 2, known: 1, arriving: 3 });
  });

  it("looks at no more events than the cap, oldest waiting first and newest arrived first", async () => {
    const now = Date.now();
    for (let i = 0; i < 5; i++) await insertReceivedEvent({ receivedAt: now - (10 - i) * 1_000 });

    expect(await countWaitingOrders(env.DB, 3, encodeIdTime(now - MINUTE))).toEqual({
      orders: 3,
      known: 0,
      arriving: 3,
    });
  });

  it("reads down events_by_status and the primary key, never scanning events", async () => {
    const waiting = await planOf(WAITING_SQL.count, [100]);
    expect(fullScans(waiting)).toEqual([]);
    expect(waiting.join(" | ")).toContain("events_by_status");
    const arriving = await planOf(WAITING_SQL.arriving, [encodeIdTime(Date.now()), 100]);
    expect(fullScans(arriving)).toEqual([]);
    expect(arriving.join(" | ")).toMatch(
      /SEARCH events USING (INTEGER )?PRIMARY KEY|USING INDEX sqlite_autoindex_events/,
    );
  });
});
