/**
 * The stand-in's own orders: created or changed over `POST /__standin/orders` (no push is sent),
 * listed by update time the way Omisell's order list pages them, and merged into the order
 * detail. Pure apart from the clock passed in, so paging and bounds are tested directly.
 */

/** Status ids the stand-in gives well-known status names (Omisell's own ids are not published). */
const STATUS_IDS: Record<string, number> = {
  Pending: 1,
  Created: 1,
  Processing: 2,
  "Ready To Ship": 3,
  Shipped: 4,
  Delivered: 5,
  Completed: 6,
  Cancelled: 7,
  Returned: 8,
  "Return Received": 9,
  Reconciled: 10,
};

export const MAX_PAGE_SIZE = 100;
export const DEFAULT_PAGE_SIZE = 20;

/** An order as Omisell's order list shows it. */
export type OrderHeader = {
  omisell_order_number: string;
  order_number: string;
  status_id: number;
  status_name: string;
  created_time: number;
  updated_time: number;
};

/** One page of the order list, in Omisell's shape; `next` and `previous` are full URLs. */
export type OrderPage = { count: number; next: string | null; previous: string | null; results: OrderHeader[] };

/** A 400 the stand-in answers in Omisell's envelope. */
export class BadRequest extends Error {}

function epochSeconds(value: unknown, name: string): number {
  const number = Number(value);
  if (value === "" || value === null || !Number.isInteger(number) || number < 0) {
    throw new BadRequest(`${name} must be whole epoch seconds`);
  }
  return number;
}

const byUpdate = (a: OrderHeader, b: OrderHeader) =>
  a.updated_time - b.updated_time || a.omisell_order_number.localeCompare(b.omisell_order_number);

export type OrderBook = ReturnType<typeof createOrderBook>;

export function createOrderBook() {
  const orders = new Map<string, OrderHeader>();

  return {
    /** Creates the order, or changes its status and update time. */
    upsert(input: Record<string, unknown>, nowSeconds: number): OrderHeader {
      const number = input.omisell_order_number;
      if (typeof number !== "string" || number === "") throw new BadRequest("omisell_order_number is required");
      const updated = input.updated_time === undefined ? nowSeconds : epochSeconds(input.updated_time, "updated_time");
      const before = orders.get(number);
      const statusName =
        input.status_name === undefined ? (before?.status_name ?? "Pending") : String(input.status_name);
      const order: OrderHeader = {
        omisell_order_number: number,
        order_number:
          typeof input.order_number === "string" ? input.order_number : (before?.order_number ?? `SO-${number}`),
        status_id: STATUS_IDS[statusName] ?? 0,
        status_name: statusName,
        created_time: before?.created_time ?? Math.min(updated, nowSeconds),
        updated_time: updated,
      };
      orders.set(number, order);
      return { ...order };
    },

    get(number: string): OrderHeader | undefined {
      const order = orders.get(number);
      return order ? { ...order } : undefined;
    },

    /** Every order, oldest change first. */
    all(): OrderHeader[] {
      return [...orders.values()].sort(byUpdate).map((o) => ({ ...o }));
    },

    clear(): void {
      orders.clear();
    },

    /**
     * One page of orders updated in [updated_from, updated_to] (both inclusive), oldest change
     * first. `pageUrl(n)` builds the full URL of page n for `next` / `previous`.
     */
    list(query: URLSearchParams, pageUrl: (page: number) => string): OrderPage {
      const from = epochSeconds(query.get("updated_from"), "updated_from");
      const to = epochSeconds(query.get("updated_to"), "updated_to");
      if (from > to) throw new BadRequest("updated_from must not be after updated_to");
      const page = query.has("page") ? Number(query.get("page")) : 1;
      if (!Number.isInteger(page) || page < 1) throw new BadRequest("page must be a whole number >= 1");
      const size = query.has("page_size") ? Number(query.get("page_size")) : DEFAULT_PAGE_SIZE;
      if (!Number.isInteger(size) || size < 1 || size > MAX_PAGE_SIZE) {
        throw new BadRequest(`page_size must be a whole number from 1 to ${MAX_PAGE_SIZE}`);
      }
      const matching = [...orders.values()]
        .filter((o) => o.updated_time >= from && o.updated_time <= to)
        .sort(byUpdate);
      const start = (page - 1) * size;
      return {
        count: matching.length,
        next: start + size < matching.length ? pageUrl(page + 1) : null,
        previous: page > 1 ? pageUrl(page - 1) : null,
        results: matching.slice(start, start + size).map((o) => ({ ...o })),
      };
    },
  };
}
