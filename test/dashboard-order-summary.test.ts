/**
 * The order page's readable summary: what it reads from Omisell's order detail (the fixture is
 * Omisell's documented shape), what it leaves out when a field is missing, and where it shows.
 */

import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { summariseOrder } from "../src/dashboard/order-summary";
import detail from "./fixtures/order-detail-response.json";
import { BASE, READ_TOKEN, storeEvent, storeOrderSnapshot } from "./helpers/read-api";
import { sessionCookie } from "./helpers/session";

describe("summarising Omisell's order detail", () => {
  it("reads status, shop, items, parcels with courier and tracking, and payment", () => {
    expect(summariseOrder(detail.data)).toEqual({
      status: "Shipped",
      shop: "Demo Shop VN · Shopee",
      marketplaceOrder: "SHP-240001",
      items: [{ name: "T-shirt M black", sku: "TSHIRT-M-BLK", quantity: 2, price: 179000 }],
      itemsTotal: 358000,
      parcels: [
        { shipment: "DO2411280001", courier: "SPX Express, Standard", tracking: "SPXVN0123456", status: "Shipped" },
      ],
      payments: [{ method: "Cash on delivery", amount: 358000, status: "pending" }],
    });
  });

  it("leaves out what the snapshot does not have, and gives no total when a price is missing", () => {
    const summary = summariseOrder({
      status_name: 4,
      parcels: [{ catalogue_items: [{ product_name: "Mug", quantity: 1 }, "junk"] }, null],
      payment_information: "none",
    });
    expect(summary).toEqual({
      status: "4",
      shop: null,
      marketplaceOrder: null,
      items: [{ name: "Mug", sku: null, quantity: 1, price: null }],
      itemsTotal: null,
      parcels: [{ shipment: null, courier: null, tracking: null, status: null }],
      payments: [],
    });
  });

  it("has nothing to say about a snapshot that is not an object", () => {
    expect(summariseOrder(null)).toBeNull();
    expect(summariseOrder("<html>")).toBeNull();
    expect(summariseOrder([1, 2])).toBeNull();
  });
});

describe("the order page", () => {
  it("shows the summary above the raw snapshot", async () => {
    const orderNumber = `OM-SUM-${crypto.randomUUID().slice(0, 8)}`;
    await storeEvent({ order_number: orderNumber, resource_id: orderNumber });
    await storeOrderSnapshot(orderNumber, {
      statusName: "Shipped",
      detail: { ...detail.data, omisell_order_number: orderNumber },
    });
    const res = await exports.default.fetch(
      new Request(`${BASE}/dashboard/orders/${orderNumber}`, { headers: { cookie: await sessionCookie(READ_TOKEN) } }),
    );
    const html = await res.text();
    const summaryAt = html.indexOf('<h2 id="summary-title">Summary</h2>');
    expect(summaryAt).toBeGreaterThan(0);
    expect(summaryAt).toBeLessThan(html.indexOf('<pre class="json">'));
    expect(html).toContain('SPX Express, Standard · tracking <span class="mono">SPXVN0123456</span> · Shipped');
    expect(html).toContain("T-shirt M black");
    expect(html).toMatch(/Items total<\/td>.*358,000/);
    expect(html).toContain("Cash on delivery</dt><dd>358,000 · pending");
  });
});
