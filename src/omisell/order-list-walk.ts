/** Walking Omisell's order list (`GET /api/v2/public/order/list`) over a time window, the call injected: reconciliation and the adaptive follow-up both walk it. */
import { z } from "zod";
import type { Result } from "../lib/result";

export const ORDER_LIST_PATH = "/api/v2/public/order/list";
/** Omisell's largest page. */
export const ORDER_LIST_PAGE_SIZE = 100;
/** Safety stop: a window of one hour listing more than this many pages is a failure, not a loop. */
export const MAX_PAGES_PER_WINDOW = 100;

export type ListQuery = Record<string, string>;
/** What the injected call answers: Omisell's `data` on success, a failure text otherwise (and a wait Omisell asked for). */
export type ListAnswer = Result<unknown, { error: string; retryAfterSeconds?: number }>;
export type ListOrdersCall = (path: string, query: ListQuery) => Promise<ListAnswer>;

/** One listed order change: who, when (epoch seconds), and the header exactly as listed. */
export type OrderChange = {
  omisellOrderNumber: string;
  updatedTime: number;
  header: Record<string, unknown>;
};

/** A result of a page that could not be read: skipped, and kept (short) for the run's record. */
export type SkippedRow = { page: number; index: number; reason: string; raw: string };

export type ListWalk =
  | { ok: true; listed: number; pages: number }
  /** `pageCap`: the window has more pages than the walk may read; a shorter window may fit. */
  | { ok: false; error: string; listed: number; pageCap?: true };

/** Above this a number cannot be epoch seconds (year 5138): it is milliseconds. */
const SECONDS_CEILING = 1e11;
const ISO_WITHOUT_OFFSET = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/;

/**
 * Epoch seconds from either form Omisell uses, or null when the value is neither: epoch seconds (a
 * number or a numeric string; a number too large to be seconds is taken as milliseconds) or an ISO
 * 8601 string (read as UTC when it carries no offset). The same change gives the same dedupe key
 * whichever form Omisell used.
 */
export function readUpdatedTime(value: unknown): number | null {
  let seconds: number;
  if (typeof value === "number") seconds = value >= SECONDS_CEILING ? value / 1000 : value;
  else if (typeof value === "string" && /^\d+(\.\d+)?$/.test(value.trim())) return readUpdatedTime(Number(value));
  else if (typeof value === "string") {
    const text = value.trim();
    const ms = Date.parse(ISO_WITHOUT_OFFSET.test(text) ? `${text.replace(" ", "T")}Z` : text);
    if (Number.isNaN(ms)) return null;
    seconds = ms / 1000;
  } else return null;
  return Number.isFinite(seconds) && seconds > 0 ? Math.floor(seconds) : null;
}

const OrderNumber = z.union([z.string().trim().min(1).max(256), z.number().int().nonnegative()]).transform(String);

const OrderHeader = z.looseObject({
  omisell_order_number: OrderNumber,
  updated_time: z.unknown(),
});

const Page = z.looseObject({
  count: z.number().int().nonnegative().nullish(),
  next: z.string().nullish(),
  results: z.array(z.unknown()),
});

type PageRead =
  | { ok: true; changes: OrderChange[]; skipped: Omit<SkippedRow, "page">[]; next: string | null }
  | { ok: false; error: string };

/** How much of an unreadable result is kept. */
const RAW_KEPT = 200;

function rawOf(result: unknown): string {
  let text: string;
  try {
    text = JSON.stringify(result) ?? String(result);
  } catch {
    text = String(result);
  }
  return text.length > RAW_KEPT ? `${text.slice(0, RAW_KEPT)}…` : text;
}

/**
 * One page's `data`. A page that is not an object with a `results` array fails; a result without
 * an order number or a readable updated_time is skipped (with why, and the start of it), so one
 * unreadable row never keeps the rest of the page, nor the window, from being read.
 */
export function readOrderListPage(data: unknown): PageRead {
  const page = Page.safeParse(data);
  if (!page.success) return { ok: false, error: "malformed order list page (no results array)" };
  const changes: OrderChange[] = [];
  const skipped: Omit<SkippedRow, "page">[] = [];
  for (const [index, result] of page.data.results.entries()) {
    const header = OrderHeader.safeParse(result);
    if (!header.success) {
      skipped.push({ index, reason: "no omisell_order_number", raw: rawOf(result) });
      continue;
    }
    const updatedTime = readUpdatedTime(header.data.updated_time);
    if (updatedTime === null) {
      skipped.push({ index, reason: "updated_time is not a time", raw: rawOf(result) });
      continue;
    }
    const raw = result as Record<string, unknown>;
    changes.push({ omisellOrderNumber: header.data.omisell_order_number, updatedTime, header: raw });
  }
  return { ok: true, changes, skipped, next: page.data.next?.trim() ? page.data.next.trim() : null };
}

/**
 * The query of the page `next` points at: its parameters over the current ones. Only the query
 * is taken from `next`; the host and path stay ours, so an answer cannot send the call elsewhere.
 */
export function queryOfNext(next: string, current: ListQuery): ListQuery | null {
  let url: URL;
  try {
    url = new URL(next, "https://omisell.invalid/");
  } catch {
    return null;
  }
  const query = { ...current };
  for (const [name, value] of url.searchParams) query[name] = value;
  return query;
}

/** The first page's query for a window of ms bounds (inclusive; Omisell wants whole seconds). */
export function firstPageQuery(window: { fromMs: number; toMs: number }): ListQuery {
  return {
    updated_from: String(Math.floor(window.fromMs / 1000)),
    updated_to: String(Math.ceil(window.toMs / 1000)),
    status_group: "all",
    page: "1",
    page_size: String(ORDER_LIST_PAGE_SIZE),
  };
}

/** `path?query`, for a client that takes the path and query as one string. */
export function pathWithQuery(path: string, query: ListQuery): string {
  const search = new URLSearchParams(query).toString();
  return search ? `${path}?${search}` : path;
}

/**
 * Lists a window page by page and hands each page's changes (and the rows it skipped) to `onPage`
 * before asking for the next (memory stays one page; what was handled before a failure is kept,
 * and is harmless to handle again). Stops with a failure on a failed call, a malformed page, a
 * `next` that cannot be read or repeats the page, or more than `maxPages` pages (`pageCap`).
 * Errors thrown by `onPage` propagate.
 */
export async function walkOrderList(
  call: ListOrdersCall,
  window: { fromMs: number; toMs: number },
  onPage: (changes: OrderChange[], skipped: SkippedRow[]) => Promise<void>,
  maxPages = MAX_PAGES_PER_WINDOW,
): Promise<ListWalk> {
  let query: ListQuery | null = firstPageQuery(window);
  let listed = 0;
  let pages = 0;
  while (query !== null) {
    if (pages >= maxPages) {
      const error = `order list longer than ${maxPages} pages in one window (safety stop)`;
      return { ok: false, listed, error, pageCap: true };
    }
    const answer = await call(ORDER_LIST_PATH, query);
    pages += 1;
    if (!answer.ok) return { ok: false, listed, error: `order list page ${pages}: ${answer.reason.error}` };
    const page = readOrderListPage(answer.value);
    if (!page.ok) return { ok: false, listed, error: `order list page ${pages}: ${page.error}` };
    const number = pages;
    await onPage(
      page.changes,
      page.skipped.map((row) => ({ page: number, ...row })),
    );
    listed += page.changes.length;
    if (page.next === null) break;
    const nextQuery = queryOfNext(page.next, query);
    if (nextQuery === null) return { ok: false, listed, error: `order list page ${pages}: unreadable next link` };
    if (new URLSearchParams(nextQuery).toString() === new URLSearchParams(query).toString()) {
      return { ok: false, listed, error: `order list page ${pages}: next points at the same page` };
    }
    query = nextQuery;
  }
  return { ok: true, listed, pages };
}
