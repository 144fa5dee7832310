/**
 * The order page's readable summary of Omisell's order detail: status, shop, items, parcels with
 * courier and tracking, payment. Omisell's snapshot is read defensively: a field that is missing
 * or of another type is left out, never guessed.
 */
import { formatCount, formatTime } from "./format";

export type OrderItem = { name: string; sku: string | null; quantity: number | null; price: number | null };
export type OrderParcel = {
  shipment: string | null;
  courier: string | null;
  tracking: string | null;
  status: string | null;
};
export type OrderPayment = { method: string; amount: number | null; status: string | null };

/** What the summary shows; every field may be absent from a snapshot. */
export type OrderSummary = {
  status: string | null;
  shop: string | null;
  marketplaceOrder: string | null;
  items: OrderItem[];
  /** Σ quantity × price, when every item has both. */
  itemsTotal: number | null;
  parcels: OrderParcel[];
  payments: OrderPayment[];
};

type Json = Record<string, unknown>;
const isObject = (value: unknown): value is Json =>
  typeof value === "object" && value !== null && !Array.isArray(value);
const text = (value: unknown): string | null =>
  typeof value === "string" && value.trim() !== "" ? value : typeof value === "number" ? String(value) : null;
const amount = (value: unknown): number | null =>
  typeof value === "number" && Number.isFinite(value)
    ? value
    : typeof value === "string" && /^\d+(\.\d+)?$/.test(value)
      ? Number(value)
      : null;
const objects = (value: unknown): Json[] => (Array.isArray(value) ? value.filter(isObject) : []);

/** The summary of a stored snapshot (Omisell's `data`), or null when it is not an object. */
export function summariseOrder(order: unknown): OrderSummary | null {
  if (!isObject(order)) return null;
  const parcels = objects(order.parcels);
  const items = parcels.flatMap((parcel) =>
    objects(parcel.catalogue_items).map((item) => ({
      name: text(item.product_name) ?? text(item.catalogue_sku) ?? "(unnamed item)",
      sku: text(item.catalogue_sku),
      quantity: amount(item.quantity),
      price: amount(item.discounted_price) ?? amount(item.original_price),
    })),
  );
  const priced = items.every((item) => item.quantity !== null && item.price !== null);
  return {
    status: text(order.status_name),
    shop: [text(order.shop_name), text(order.platform_name)].filter(Boolean).join(" · ") || null,
    marketplaceOrder: text(order.order_number),
    items,
    itemsTotal:
      items.length > 0 && priced ? items.reduce((sum, i) => sum + (i.quantity ?? 0) * (i.price ?? 0), 0) : null,
    parcels: parcels.map((parcel) => ({
      shipment: text(parcel.omisell_shipment_number) ?? text(parcel.package_number),
      courier: [text(parcel.courier_name), text(parcel.courier_service)].filter(Boolean).join(", ") || null,
      tracking: text(parcel.courier_tracking_number),
      status: text(parcel.shipment_status_name),
    })),
    payments: objects(order.payment_information).map((payment) => ({
      method: text(payment.payment_method_name) ?? text(payment.payment_method) ?? "payment",
      amount: amount(payment.transaction_amount),
      status: text(payment.transaction_status),
    })),
  };
}

const money = (value: number | null) => (value === null ? "—" : formatCount(value));

/** The summary card, above the raw JSON; nothing when the snapshot is missing or not an object. */
export function OrderSummaryCard({ order, fetchedAt }: { order: unknown; fetchedAt: number | null }) {
  const summary = summariseOrder(order);
  if (!summary) return null;
  return (
    <section class="card order-summary" aria-labelledby="summary-title">
      <div class="card-head">
        <h2 id="summary-title">Summary</h2>
        <span class="muted">from the snapshot{fetchedAt ? ` of ${formatTime(fetchedAt)} UTC` : ""}</span>
      </div>
      <dl class="facts facts-gap">
        <dt>Status</dt>
        <dd>{summary.status ?? "—"}</dd>
        <dt>Shop</dt>
        <dd>{summary.shop ?? "—"}</dd>
        <dt>Marketplace order</dt>
        <dd class="mono">{summary.marketplaceOrder ?? "—"}</dd>
        {summary.parcels.map((parcel) => (
          <>
            <dt>Parcel {parcel.shipment ?? ""}</dt>
            <dd>
              {parcel.courier ?? "courier not given"}
              {parcel.tracking ? (
                <>
                  {" · tracking "}
                  <span class="mono">{parcel.tracking}</span>
                </>
              ) : null}
              {parcel.status ? ` · ${parcel.status}` : null}
            </dd>
          </>
        ))}
        {summary.payments.map((payment) => (
          <>
            <dt>{payment.method}</dt>
            <dd>
              {money(payment.amount)}
              {payment.status ? ` · ${payment.status}` : null}
            </dd>
          </>
        ))}
      </dl>
      {summary.items.length > 0 ? (
        <div class="table-wrap">
          <table class="stack items">
            <thead>
              <tr>
                <th>Item</th>
                <th class="hide-sm">SKU</th>
                <th class="num">Qty</th>
                <th class="num">Price</th>
              </tr>
            </thead>
            <tbody>
              {summary.items.map((item) => (
                <tr>
                  <td class="what">{item.name}</td>
                  <td class="hide-sm mono">{item.sku ?? "—"}</td>
                  <td class="num">{item.quantity ?? "—"}</td>
                  <td class="num">{money(item.price)}</td>
                </tr>
              ))}
            </tbody>
            {summary.itemsTotal !== null ? (
              <tfoot>
                <tr>
                  <td class="what">Items total</td>
                  <td class="hide-sm" />
                  <td />
                  <td class="num">{money(summary.itemsTotal)}</td>
                </tr>
              </tfoot>
            ) : null}
          </table>
        </div>
      ) : null}
    </section>
  );
}
