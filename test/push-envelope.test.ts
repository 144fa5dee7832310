/** The envelope parser: what a push is about, read tolerantly (README "What is assumed about Omisell"). */
import { describe, expect, it } from "vitest";
import { categoryOf, KNOWN_EVENTS } from "../src/events/catalogue";
import { isVerificationPing, parsePushEnvelope } from "../src/push/envelope";
import { samplePush, sendPush } from "./helpers/push";

const parse = (body: unknown, header: string | null = null) => {
  const result = parsePushEnvelope(body, header);
  if (!result.ok) throw new Error(result.reason);
  return result.value;
};

describe("request_id", () => {
  it("is read from the top level, as a string or a number", () => {
    expect(parse({ request_id: "abc", event: "order.created" }).requestId).toBe("abc");
    expect(parse({ request_id: 42, event: "order.created" }).requestId).toBe("42");
  });

  it("falls back to data.request_id, then to the Request-Id header", () => {
    expect(parse({ event: "order.created", data: { request_id: "in-data" } }, "hdr").requestId).toBe("in-data");
    expect(parse({ event: "order.created" }, "hdr").requestId).toBe("hdr");
  });

  it("is not taken from a number JSON could not hold exactly (beyond 2^53), so distinct pushes never merge", () => {
    const a = parse(JSON.parse('{"event":"order.created","request_id":1234567890123456789}'));
    const b = parse(JSON.parse('{"event":"order.created","request_id":42}'));
    expect(a.requestId).toBeNull();
    expect(b.requestId).toBe("42");
  });

  it("is null when absent or blank, so the body hash is used", () => {
    expect(parse({ event: "order.created", request_id: "  " }).requestId).toBeNull();
    expect(parse({ event: "order.created", request_id: { nested: 1 } }).requestId).toBeNull();
  });

  it("longer than 256 characters makes the payload invalid", () => {
    const result = parsePushEnvelope({ event: "order.created", request_id: "r".repeat(257) }, null);
    expect(result).toMatchObject({ ok: false, reason: expect.stringContaining("request_id") });
  });
});

describe("event name", () => {
  it.each(["event", "event_type", "type", "push_type"])("is read from %s", (field) => {
    expect(parse({ [field]: "order.created" }).event).toBe("order.created");
  });

  it("prefers event over the fallbacks", () => {
    expect(parse({ event: "order.created", type: "shipment.created" }).event).toBe("order.created");
  });

  it("is missing for an object without one", () => {
    expect(parsePushEnvelope({ data: {} }, null)).toMatchObject({ ok: false });
  });
});

describe("identifiers", () => {
  it("are read from the top level or from data", () => {
    const envelope = parse({
      event: "shipment.shipped",
      seller_id: 7,
      data: { omisell_order_number: "OM1", omisell_shipment_number: "DO1", order_number: "SHP" },
    });
    expect(envelope).toMatchObject({
      sellerId: "7",
      resourceType: "shipment",
      resourceId: "DO1",
      orderNumber: "OM1",
      identifiers: { order_number: "SHP" },
    });
  });

  it("fall back to the order when a shipment push has no shipment number", () => {
    expect(parse({ event: "shipment.created", data: { omisell_order_number: "OM9" } })).toMatchObject({
      resourceType: "order",
      resourceId: "OM9",
    });
  });

  it("name the return and the invoice for their categories", () => {
    expect(
      parse({ event: "order_return.all", data: { return_order_number: "RO1", omisell_order_number: "OM1" } }),
    ).toMatchObject({
      category: "return",
      resourceType: "return",
      resourceId: "RO1",
    });
    expect(parse({ event: "order.si.generate", data: { invoice_number: "SI1" } })).toMatchObject({
      category: "sale_invoice",
      resourceType: "invoice",
      resourceId: "SI1",
    });
  });
});

describe("catalogue", () => {
  it("gives every listed name one of the four categories", () => {
    expect(new Set(KNOWN_EVENTS.map(categoryOf))).toEqual(new Set(["order", "shipment", "return", "sale_invoice"]));
  });

  it("maps inherited object keys to unknown", () => {
    expect(categoryOf("constructor")).toBe("unknown");
    expect(categoryOf("__proto__")).toBe("unknown");
  });
});

describe("the seller id", () => {
  it("falls back to the Seller-ID header when the body has none", () => {
    const result = parsePushEnvelope({ event: "order.created", data: {} }, null, " 2002 ");
    expect(result.ok && result.value.sellerId).toBe("2002");
  });

  it("is the body's when both are there", () => {
    const result = parsePushEnvelope({ event: "order.created", seller_id: 1001 }, null, "2002");
    expect(result.ok && result.value.sellerId).toBe("1001");
  });

  it("ignores a Seller-ID header over 256 characters instead of refusing the push", () => {
    const result = parsePushEnvelope({ event: "order.created" }, null, "9".repeat(300));
    expect(result.ok && result.value.sellerId).toBeNull();
  });
});

describe("verification pings", () => {
  it("are bodies with data.verify_info and no event name", () => {
    expect(isVerificationPing({ code: 0, data: { verify_info: "This is a Verification message" } })).toBe(true);
    expect(isVerificationPing({ event: "order.created", data: { verify_info: "x" } })).toBe(false);
    expect(isVerificationPing({ data: {} })).toBe(false);
    expect(isVerificationPing([{ data: { verify_info: "x" } }])).toBe(false);
  });
});

describe("the sample pushes of every event", () => {
  const files = import.meta.glob<{ default: Record<string, unknown> }>("./fixtures/pushes/**/*.json", {
    eager: true,
  });

  it("cover the whole catalogue, documented and observed", () => {
    const events = Object.values(files).map((f) => f.default.event);
    expect(new Set(events)).toEqual(new Set(KNOWN_EVENTS));
  });

  it.each(Object.entries(files).map(([name, f]) => [name, f.default] as const))(
    "%s is accepted and stored with its category and order number",
    async (_name, push) => {
      const unique = { ...push, request_id: `${push.request_id}-${crypto.randomUUID()}` };
      const res = await sendPush(unique);
      expect(res.headers.get("Push-Status")).toBe("accepted");
      const { env } = await import("cloudflare:workers");
      const row = await env.DB.prepare("SELECT category, order_number FROM events WHERE id = ?")
        .bind(res.headers.get("Push-Event-Id"))
        .first();
      expect(row).toEqual({
        category: categoryOf(push.event as string),
        order_number: (push.data as Record<string, string>).omisell_order_number,
      });
    },
  );

  it("a sample push via the helper is well formed", () => {
    expect(parse(samplePush("order.created")).category).toBe("order");
  });
});
