/**
 * The order list walk, pure: the query it asks, paging through `next` until null, a malformed
 * page or a failed call as a clear failure, the page limit as a safety stop, and both forms of
 * `updated_time`.
 */
import { describe, expect, it } from "vitest";
import { ok } from "../src/lib/result";
import {
  firstPageQuery,
  type ListOrdersCall,
  ORDER_LIST_PATH,
  type OrderChange,
  pathWithQuery,
  queryOfNext,
  readOrderListPage,
  readUpdatedTime,
  walkOrderList,
} from "../src/omisell/order-list-walk";
import { listedOrder, orderListStub } from "./helpers/reconcile";

const T0 = Date.UTC(2026, 10, 30, 10, 0, 0);
const WINDOW = { fromMs: T0 - 3_600_000, toMs: T0 };

function collect() {
  const pages: OrderChange[][] = [];
  return { pages, onPage: async (changes: OrderChange[]) => void pages.push(changes) };
}

describe("the first page's query", () => {
  it("asks updated_from/updated_to in epoch seconds, all statuses, page 1 of 100", () => {
    expect(firstPageQuery({ fromMs: 1_700_000_000_500, toMs: 1_700_003_600_200 })).toEqual({
      updated_from: "1700000000",
      updated_to: "1700003601",
      status_group: "all",
      page: "1",
      page_size: "100",
    });
  });

  it("puts the query after the path for a client that takes one string", () => {
    expect(pathWithQuery(ORDER_LIST_PATH, { page: "2", status_group: "all" })).toBe(
      "/api/v2/public/order/list?page=2&status_group=all",
    );
  });
});

describe("updated_time", () => {
  it("reads epoch seconds as a number or a numeric string", () => {
    expect(readUpdatedTime(1_764_496_800)).toBe(1_764_496_800);
    expect(readUpdatedTime("1764496800")).toBe(1_764_496_800);
  });

  it("reads an ISO 8601 string with an offset, and one without as UTC", () => {
    expect(readUpdatedTime("2025-11-30T17:00:00+07:00")).toBe(1_764_496_800);
    expect(readUpdatedTime("2025-11-30T10:00:00")).toBe(1_764_496_800);
    expect(readUpdatedTime("2025-11-30 10:00:00")).toBe(1_764_496_800);
  });

  it("reads a number too large for seconds as milliseconds", () => {
    expect(readUpdatedTime(1_764_496_800_123)).toBe(1_764_496_800);
  });

  it("refuses what is not a time", () => {
    for (const value of [null, undefined, "", "yesterday", 0, -5, true, {}]) expect(readUpdatedTime(value)).toBeNull();
  });
});

describe("one page", () => {
  it("keeps each header as listed and its change in epoch seconds", () => {
    const header = { ...listedOrder("OM1", T0), updated_time: "2026-11-30T10:00:00Z", extra: 1 };
    const page = readOrderListPage({ count: 1, next: null, previous: null, results: [header] });
    expect(page).toEqual({
      ok: true,
      next: null,
      changes: [{ omisellOrderNumber: "OM1", updatedTime: T0 / 1000, header }],
      skipped: [],
    });
  });

  it("fails a page without a results array", () => {
    expect(readOrderListPage({ count: 3 })).toMatchObject({ ok: false, error: expect.stringContaining("malformed") });
    expect(readOrderListPage("nope")).toMatchObject({ ok: false });
  });

  it("skips a result that has no order number or no readable updated_time, saying which and why", () => {
    const good = listedOrder("OM1", T0);
    const noNumber = { ...good, omisell_order_number: "" };
    expect(readOrderListPage({ results: [good, noNumber] })).toMatchObject({
      ok: true,
      changes: [{ omisellOrderNumber: "OM1" }],
      skipped: [{ index: 1, reason: "no omisell_order_number", raw: JSON.stringify(noNumber) }],
    });
    expect(readOrderListPage({ results: [{ ...good, updated_time: "soon" }] })).toMatchObject({
      ok: true,
      changes: [],
      skipped: [{ index: 0, reason: "updated_time is not a time" }],
    });
  });

  it("keeps only the start of a long unreadable result", () => {
    const long = { omisell_order_number: "OM1", updated_time: "x".repeat(500) };
    const page = readOrderListPage({ results: [long] });
    const raw = page.ok ? page.skipped[0]?.raw : "";
    expect(raw).toHaveLength(201);
    expect(raw?.endsWith("…")).toBe(true);
  });
});

describe("following next", () => {
  it("takes the query of next over the current one, never its host or path", () => {
    expect(queryOfNext("https://elsewhere.example/x?page=3&page_size=100", { page: "2", status_group: "all" })).toEqual(
      {
        page: "3",
        page_size: "100",
        status_group: "all",
      },
    );
  });

  it("walks every page until next is null and hands each page over in order", async () => {
    const orders = Array.from({ length: 25 }, (_, i) => listedOrder(`OM${i}`, T0 - 60_000 * i));
    const { listOrders, calls } = orderListStub(orders, { pageSize: 10 });
    const { pages, onPage } = collect();

    const walk = await walkOrderList(listOrders, WINDOW, onPage);

    expect(walk).toEqual({ ok: true, listed: 25, pages: 3 });
    expect(pages.map((page) => page.length)).toEqual([10, 10, 5]);
    expect(calls.map((call) => call.query.page)).toEqual(["1", "2", "3"]);
    expect(calls.every((call) => call.path === ORDER_LIST_PATH)).toBe(true);
  });

  it("asks once for a window with nothing in it", async () => {
    const { listOrders, calls } = orderListStub([]);
    const walk = await walkOrderList(listOrders, WINDOW, collect().onPage);
    expect(walk).toEqual({ ok: true, listed: 0, pages: 1 });
    expect(calls).toHaveLength(1);
  });

  it("fails clearly on a failed call, keeping what the earlier pages handed over", async () => {
    const orders = Array.from({ length: 15 }, (_, i) => listedOrder(`OM${i}`, T0 - 60_000 * i));
    const { listOrders } = orderListStub(orders, { pageSize: 10, failOnPage: 2 });
    const { pages, onPage } = collect();

    const walk = await walkOrderList(listOrders, WINDOW, onPage);

    expect(walk).toEqual({ ok: false, listed: 10, error: "order list page 2: HTTP 500 from Omisell" });
    expect(pages).toHaveLength(1);
  });

  it("fails clearly on a malformed page", async () => {
    const listOrders: ListOrdersCall = async () => ok({ count: 1, next: null, results: "x" });
    const walk = await walkOrderList(listOrders, WINDOW, collect().onPage);
    expect(walk).toMatchObject({ ok: false, error: expect.stringContaining("page 1: malformed") });
  });

  it("stops at the page limit instead of following next for ever", async () => {
    let page = 0;
    const listOrders: ListOrdersCall = async () => {
      page += 1;
      return ok({ results: [], next: `?page=${page + 1}` });
    };
    const walk = await walkOrderList(listOrders, WINDOW, collect().onPage, 5);
    expect(walk).toMatchObject({ ok: false, error: expect.stringContaining("safety stop") });
    expect(page).toBe(5);
  });

  it("fails when next points at the page just read", async () => {
    const listOrders: ListOrdersCall = async (_path, query) => ({
      ok: true,
      value: { results: [], next: `?${new URLSearchParams(query)}` },
    });
    const walk = await walkOrderList(listOrders, WINDOW, collect().onPage);
    expect(walk).toMatchObject({ ok: false, error: expect.stringContaining("same page") });
  });
});
