/** The stand-in's order book on its own: orders made and changed, listed by update time in pages. */
import { describe, expect, it } from "vitest";
import { createOrderBook } from "../../scripts/lib/standin-orders.ts";

const query = (params: Record<string, string | number>) =>
  new URLSearchParams(Object.entries(params).map(([k, v]) => [k, String(v)]));
const pageUrl = (page: number) => `page-${page}`;

function bookOf(times: number[]) {
  const book = createOrderBook();
  times.forEach((t, i) => {
    book.upsert({ omisell_order_number: `OM-${i}`, updated_time: t }, 1000);
  });
  return book;
}

describe("the stand-in's order book", () => {
  it("creates an order with a header like Omisell's", () => {
    const book = createOrderBook();
    expect(book.upsert({ omisell_order_number: "OM-1", status_name: "Shipped", updated_time: 500 }, 1000)).toEqual({
      omisell_order_number: "OM-1",
      order_number: "SO-OM-1",
      status_id: 4,
      status_name: "Shipped",
      created_time: 500,
      updated_time: 500,
    });
  });

  it("dates an order without updated_time now", () => {
    expect(createOrderBook().upsert({ omisell_order_number: "OM-1" }, 1234).updated_time).toBe(1234);
  });

  it("changes an order's status and update time, keeping its creation", () => {
    const book = createOrderBook();
    book.upsert({ omisell_order_number: "OM-1", status_name: "Pending", updated_time: 100 }, 1000);
    book.upsert({ omisell_order_number: "OM-1", status_name: "Delivered", updated_time: 200 }, 1000);
    expect(book.get("OM-1")).toMatchObject({ status_name: "Delivered", updated_time: 200, created_time: 100 });
  });

  it.each([
    [{}, /omisell_order_number/],
    [{ omisell_order_number: "OM-1", updated_time: "yesterday" }, /updated_time/],
    [{ omisell_order_number: "OM-1", updated_time: 1.5 }, /updated_time/],
  ])("refuses %j", (input, message) => {
    expect(() => createOrderBook().upsert(input, 1000)).toThrow(message);
  });

  it("lists orders updated within the window, both bounds included, oldest first", () => {
    const book = bookOf([99, 100, 150, 200, 201]);
    const page = book.list(query({ updated_from: 100, updated_to: 200 }), pageUrl);
    expect(page.results.map((o) => o.updated_time)).toEqual([100, 150, 200]);
    expect(page.count).toBe(3);
  });

  it("pages with next and previous until next is null", () => {
    const book = bookOf([1, 2, 3, 4, 5]);
    const window = { updated_from: 0, updated_to: 10, page_size: 2 };
    const first = book.list(query(window), pageUrl);
    const last = book.list(query({ ...window, page: 3 }), pageUrl);
    expect([first.next, first.previous, first.results.length]).toEqual(["page-2", null, 2]);
    expect([last.next, last.previous, last.results.length]).toEqual([null, "page-2", 1]);
  });

  it.each([
    [{ updated_to: 10 }, /updated_from/],
    [{ updated_from: 20, updated_to: 10 }, /after/],
    [{ updated_from: 0, updated_to: 10, page_size: 101 }, /page_size/],
    [{ updated_from: 0, updated_to: 10, page: 0 }, /page/],
  ])("refuses the list query %j", (params, message) => {
    expect(() => bookOf([1]).list(query(params), pageUrl)).toThrow(message);
  });
});
