/**
 * Order-fetch claims are released per fetch: an order fetched early in a batch is free again as
 * soon as its own snapshot is written, not when the last order of the batch is done.
 */
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { OrderToFetch } from "../src/followup/deps";
import { deliver, insertReceivedEvent, newOrderNumber, readEvent } from "./helpers/followup";

afterEach(() => {
  vi.restoreAllMocks();
});

const claimsOf = async (orders: string[]) =>
  (
    await env.DB.prepare(
      "SELECT order_number FROM order_fetch_claims WHERE order_number IN (SELECT value FROM json_each(?1))",
    )
      .bind(JSON.stringify(orders))
      .all<{ order_number: string }>()
  ).results.map((row) => row.order_number);

const answer = (orderNumber: string) => ({ ok: true as const, value: { omisell_order_number: orderNumber } });

describe("order-fetch claims", () => {
  it("are released right after each order's fetch and writes, while the batch goes on", async () => {
    const [first, second] = [newOrderNumber(), newOrderNumber()];
    const ids = [
      await insertReceivedEvent({ order_number: first }),
      await insertReceivedEvent({ order_number: second }),
    ];
    const heldDuringSecondFetch: string[][] = [];
    const fetchOrder = async (order: OrderToFetch) => {
      if (order.orderNumber === second) heldDuringSecondFetch.push(await claimsOf([first, second]));
      return answer(order.orderNumber);
    };

    const result = await deliver(
      ids.map((eventId) => ({ eventId })),
      "omisell-followups",
      { FOLLOWUP_PARALLELISM: "1" },
      { fetchOrder },
    );

    // The first order's claim left with its snapshot; the second is still being fetched.
    expect(heldDuringSecondFetch).toEqual([[second]]);
    expect(result.acked.sort()).toEqual(["msg-0", "msg-1"]);
    expect(await claimsOf([first, second])).toEqual([]);
    for (const id of ids) expect(await readEvent(id)).toMatchObject({ status: "processed", settled_by: "detail" });
  });

  it("are released after a failed fetch too, before the next order of the batch is fetched", async () => {
    const [failing, next] = [newOrderNumber(), newOrderNumber()];
    const ids = [
      await insertReceivedEvent({ order_number: failing }),
      await insertReceivedEvent({ order_number: next }),
    ];
    const heldDuringNextFetch: string[][] = [];
    const fetchOrder = async (order: OrderToFetch) => {
      if (order.orderNumber === failing) {
        return { ok: false as const, reason: { kind: "retryable" as const, error: "HTTP 503 from Omisell" } };
      }
      heldDuringNextFetch.push(await claimsOf([failing, next]));
      return answer(order.orderNumber);
    };

    await deliver(
      ids.map((eventId) => ({ eventId })),
      "omisell-followups",
      { FOLLOWUP_PARALLELISM: "1" },
      { fetchOrder },
    );

    expect(heldDuringNextFetch).toEqual([[next]]);
    expect(await readEvent(ids[0] as string)).toMatchObject({ status: "received", attempts: 1 });
    expect(await claimsOf([failing, next])).toEqual([]);
  });

  it("let a push for an order fetched earlier in a running batch be fetched by another batch at once", async () => {
    const [early, late] = [newOrderNumber(), newOrderNumber()];
    const ids = [await insertReceivedEvent({ order_number: early }), await insertReceivedEvent({ order_number: late })];
    let newId = "";
    const fetchOrder = async (order: OrderToFetch) => {
      if (order.orderNumber === late) {
        // A new push about the early order, consumed by another batch meanwhile.
        newId = await insertReceivedEvent({ order_number: early, event: "order.completed" });
        await deliver(
          [{ eventId: newId }],
          "omisell-followups",
          {},
          { fetchOrder: async (o) => answer(o.orderNumber) },
        );
      }
      return answer(order.orderNumber);
    };

    await deliver(
      ids.map((eventId) => ({ eventId })),
      "omisell-followups",
      { FOLLOWUP_PARALLELISM: "1" },
      { fetchOrder },
    );

    // Not sent back to wait for the running batch: fetched and settled on its first delivery.
    expect(await readEvent(newId)).toMatchObject({ status: "processed" });
  });
});
