/** GET /api/v2/public/order/{omisell_order_number}: the current order, its parcels (shipments) included. */
import { z } from "zod";
import { fail, ok } from "../lib/result";
import { type OmisellAuth, type OmisellConnection, type OmisellResult, requestOmisellAuthorized } from "./client";

/** The order as Omisell's `data` object; only the fields we index are typed. */
const OrderDetail = z.looseObject({
  omisell_order_number: z.union([z.string(), z.number()]).optional(),
  status_name: z.string().nullish(),
  seller_id: z.union([z.string(), z.number()]).nullish(),
});
export type OrderDetail = z.infer<typeof OrderDetail>;

/** GET /api/v2/public/order/{omisell_order_number}: the current order. */
export async function fetchOrderDetail(
  connection: OmisellConnection,
  auth: OmisellAuth,
  omisellOrderNumber: string,
): Promise<OmisellResult<OrderDetail>> {
  const path = `/api/v2/public/order/${encodeURIComponent(omisellOrderNumber)}`;
  const result = await requestOmisellAuthorized(connection, auth, path);
  if (!result.ok) return result;
  const order = OrderDetail.safeParse(result.value);
  if (!order.success) {
    return fail({ kind: "retryable", error: "malformed answer from Omisell (no order in data)" });
  }
  return ok(order.data);
}
