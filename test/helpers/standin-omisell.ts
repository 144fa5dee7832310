/**
 * The Omisell API of the workers tests (order detail and order list), answering every outbound
 * request that is not for the forwarding destination through the workers project's
 * `outboundService` (vitest.config.ts). It runs in node, beside vitest.
 */
import { readFileSync } from "node:fs";

import { REFUSED_CREDENTIAL } from "./standin-names.ts";

type OrderDetailAnswer = { data: Record<string, unknown> };

const orderDetail = JSON.parse(
  readFileSync(new URL("../fixtures/order-detail-response.json", import.meta.url), "utf8"),
) as OrderDetailAnswer;

type ListedHeader = { updated_time: number };

/** Orders added by `POST /__standin/orders`, per credential (the Authorization header). */
const listedOrders = new Map<string, ListedHeader[]>();

/**
 * Omisell's order list, per credential, so a test file with its own OMISELL_ACCOUNT_KEY sees only
 * its orders and every other file an empty list. Filters by updated_from/updated_to (epoch
 * seconds, inclusive) and pages by page/page_size with a `next` link, as Omisell does.
 */
async function orderList(request: Request, url: URL): Promise<Response> {
  const credential = request.headers.get("authorization") ?? "";
  if (request.method === "POST") {
    const added = (await request.json()) as ListedHeader[];
    listedOrders.set(credential, [...(listedOrders.get(credential) ?? []), ...added]);
    return new Response(null, { status: 204 });
  }
  const from = Number(url.searchParams.get("updated_from"));
  const to = Number(url.searchParams.get("updated_to"));
  const page = Number(url.searchParams.get("page") ?? "1");
  const size = Number(url.searchParams.get("page_size") ?? "100");
  const matching = (listedOrders.get(credential) ?? []).filter((o) => o.updated_time >= from && o.updated_time <= to);
  const more = page * size < matching.length;
  const nextUrl = new URL(url);
  nextUrl.searchParams.set("page", String(page + 1));
  const results = matching.slice((page - 1) * size, page * size);
  return Response.json({ data: { count: matching.length, next: more ? nextUrl.href : null, previous: null, results } });
}

/**
 * Answers a request to the Omisell API, whatever its host: the order detail (the fixture's order
 * under the asked number), the order list, or Omisell's JSON 404.
 *
 * A credential containing REFUSED_CREDENTIAL gets Omisell's 401.
 *
 * @example
 * GET  /api/v2/public/order/OM1         → the fixture, omisell_order_number "OM1"
 * POST /__standin/orders                [<order header>, …] (lists them for the caller's credential)
 * GET  /api/v2/public/order/list?updated_from=…&updated_to=…&page=1
 */
export async function omisellStandIn(request: Request): Promise<Response> {
  const url = new URL(request.url);
  // Credentials Omisell does not know: its 401.
  if ((request.headers.get("authorization") ?? "").includes(REFUSED_CREDENTIAL)) {
    return Response.json({ error: true, error_code: 401, messages: "Invalid credentials" }, { status: 401 });
  }
  if (url.pathname === "/__standin/orders" || url.pathname === "/api/v2/public/order/list") {
    return orderList(request, url);
  }
  const match = url.pathname.match(/^\/api\/v2\/public\/order\/([^/]+)$/);
  if (request.method === "GET" && match) {
    const data = { ...orderDetail.data, omisell_order_number: decodeURIComponent(match[1] as string) };
    return Response.json({ ...orderDetail, data });
  }
  return Response.json({ error: true, error_code: 404, messages: "not found in the test stand-in" }, { status: 404 });
}
