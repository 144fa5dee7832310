/**
 * The open catalogue: categories by prefix, each name marked documented, observed or unlisted,
 * and every push that carries an omisell_order_number followed up whatever its name. The pure
 * rule is tested directly; then every sample push (documented and observed) and the look-alike
 * names go through the push endpoint, the read API and the real follow-up consumer.
 */
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import {
  CATEGORIES,
  catalogueMark,
  categoryOf,
  DOCUMENTED_EVENTS,
  KNOWN_EVENTS,
  OBSERVED_EVENTS,
} from "../src/events/catalogue";
import { planBatch } from "../src/followup/plan";
import { getSnapshot } from "../src/store/resources";
import { deliver, newOrderNumber, orderAnswer, readEvent, stubOmisell } from "./helpers/followup";
import { samplePush, sendPush } from "./helpers/push";
import { apiGet, json } from "./helpers/read-api";

afterEach(() => {
  vi.restoreAllMocks();
});

describe("the catalogue", () => {
  it("marks the 18 names of Omisell's documentation as documented", () => {
    expect(DOCUMENTED_EVENTS).toHaveLength(18);
    for (const name of DOCUMENTED_EVENTS) expect(catalogueMark(name)).toBe("documented");
  });

  it("marks the 12 names production integrations handle, beyond the documentation, as observed", () => {
    expect([...OBSERVED_EVENTS].sort()).toEqual(
      [
        "order.processing",
        "order.exceptions",
        "order.courier_lost_items",
        "order.update_lot_serial_number",
        "shipment.failed_delivery_attempt",
        "shipment.exceptions",
        "order_return.requested",
        "order_return.accepted",
        "order_return.processing",
        "order_return.returned",
        "order_return.closed",
        "order_return.cancelled",
      ].sort(),
    );
    for (const name of OBSERVED_EVENTS) expect(catalogueMark(name)).toBe("observed");
  });

  it.each([["order.teleported"], ["ORDER.CREATED"], ["order.created "], ["constructor"], ["__proto__"], [""]])(
    "marks %j as unlisted",
    (name) => {
      expect(catalogueMark(name)).toBe("unlisted");
    },
  );

  it("marks a push without an event name as unlisted", () => {
    expect(catalogueMark(null)).toBe("unlisted");
  });

  it("gives every listed name the category of its prefix", () => {
    expect(KNOWN_EVENTS.filter((name) => categoryOf(name) === "unknown")).toEqual([]);
    expect(categoryOf("order.si.generate")).toBe("sale_invoice");
    expect(categoryOf("order_return.closed")).toBe("return");
    expect(categoryOf("shipment.exceptions")).toBe("shipment");
    expect(categoryOf("order.update_lot_serial_number")).toBe("order");
  });
});

describe("categories by prefix", () => {
  it.each([
    ["order.si.cancelled", "sale_invoice"],
    ["order.si", "order"],
    ["order.si.", "order"],
    ["order.split", "order"],
    ["order_return.inspected", "return"],
    ["shipment.lost", "shipment"],
    ["orders.created", "unknown"],
    ["order", "unknown"],
    ["order.", "unknown"],
    ["order_return", "unknown"],
    ["order_return.", "unknown"],
    ["shipment", "unknown"],
    ["shipment.", "unknown"],
    ["shipmentX", "unknown"],
    ["shipments.created", "unknown"],
    ["ORDER.created", "unknown"],
    ["Shipment.Delivered", "unknown"],
    ["x.order.created", "unknown"],
    ["", "unknown"],
  ])("classifies %j as %s", (name, category) => {
    expect(categoryOf(name)).toBe(category);
  });

  it("only ever answers a category an event row can have", () => {
    for (const name of ["order.x", "a", "order_return.y", "order.si.z", "shipment.w"]) {
      expect(CATEGORIES).toContain(categoryOf(name));
    }
  });
});

describe("what the follow-up fetches", () => {
  const event = (id: string, category: string, order_number: string | null) => ({
    id,
    event: "orders.created",
    category,
    status: "received" as const,
    order_number,
    seller_id: "1",
    attempts: 0,
    received_at: 0,
    generation: 0,
    reopened_at: null,
  });
  const message = (eventId: string) => ({ id: eventId, body: { eventId, reason: "push" as const } });

  it("fetches the order of an unknown-category event that carries an order number", () => {
    const plan = planBatch([message("e1")], new Map([["e1", event("e1", "unknown", "OM1")]]));
    expect(plan.groups.map((group) => group.orderNumber)).toEqual(["OM1"]);
    expect(plan.skips).toEqual([]);
  });

  it("skips an unknown-category event without an order number", () => {
    const plan = planBatch([message("e1")], new Map([["e1", event("e1", "unknown", null)]]));
    expect(plan.skips.map((skip) => skip.event.id)).toEqual(["e1"]);
  });
});

type Sample = { event: string; request_id: string; data: Record<string, unknown> } & Record<string, unknown>;
const documented = import.meta.glob<{ default: Sample }>("./fixtures/pushes/*.json", { eager: true });
const observed = import.meta.glob<{ default: Sample }>("./fixtures/pushes/observed/*.json", { eager: true });
const SAMPLES = [
  ...Object.values(documented).map((file) => ["documented", file.default] as const),
  ...Object.values(observed).map((file) => ["observed", file.default] as const),
];

/** A sample made unique (request id, order number), so other tests' rows and snapshots do not meet it. */
function unique(sample: Sample): { push: Sample; orderNumber: string } {
  const orderNumber = newOrderNumber();
  const push = {
    ...sample,
    request_id: `${sample.request_id}-${crypto.randomUUID()}`,
    data: { ...sample.data, omisell_order_number: orderNumber },
  };
  return { push, orderNumber };
}

/** Sends a push, reads it back through the API, and runs its follow-up through the real consumer. */
async function pushAndFollowUp(push: object, orderNumber: string | null) {
  const res = await sendPush(push);
  expect(res.status).toBe(200);
  expect(res.headers.get("Push-Status")).toBe("accepted");
  const id = res.headers.get("Push-Event-Id") as string;
  const before = await json<{ status: string; category: string; catalogue: string }>(await apiGet(`/api/events/${id}`));
  if (orderNumber) stubOmisell(() => orderAnswer(orderNumber, { status_name: "Seen" }));
  await deliver([{ eventId: id, reason: "push" }]);
  // The push enqueued its own follow-up too, which the real consumer takes after a second: when it
  // holds the order's fetch, the delivery above is sent back and the real one settles the event.
  const after = await vi.waitFor(
    async () => {
      const row = await readEvent(id);
      if (row?.status === "received") throw new Error("still waiting for its follow-up");
      return row;
    },
    { timeout: 10_000, interval: 100 },
  );
  return { id, before, after };
}

describe("every sample push, through the endpoint and the follow-up", () => {
  it("covers all 30 names of the catalogue", () => {
    expect(new Set(SAMPLES.map(([, sample]) => sample.event))).toEqual(new Set(KNOWN_EVENTS));
    expect(SAMPLES).toHaveLength(30);
  });

  it.each(SAMPLES.map(([mark, sample]) => [sample.event, mark, sample] as const))(
    "%s is stored with its prefix's category, marked %s, and ends processed with the order fetched",
    async (name, mark, sample) => {
      const { push, orderNumber } = unique(sample);
      const { id, before, after } = await pushAndFollowUp(push, orderNumber);

      expect(before).toMatchObject({ category: categoryOf(name), catalogue: mark, status: "received" });
      expect(after).toMatchObject({ status: "processed", order_number: orderNumber });
      expect(await getSnapshot(env.DB, "order", orderNumber)).toMatchObject({ last_event_id: id });
    },
  );
});

describe("look-alike names, through the endpoint and the follow-up", () => {
  it.each([
    ["orders.created", "unknown"],
    ["order", "unknown"],
    ["shipment", "unknown"],
    ["order_return", "unknown"],
    ["ORDER.created", "unknown"],
    ["order.si", "order"],
    ["order.teleported", "order"],
  ])("%s is stored as %s, unlisted, and followed up because it carries an order number", async (name, category) => {
    const push = samplePush(name);
    const orderNumber = push.data.omisell_order_number;
    const { before, after } = await pushAndFollowUp(push, orderNumber);

    expect(before).toMatchObject({ category, catalogue: "unlisted", status: "received" });
    expect(after).toMatchObject({ status: "processed" });
  });

  it("an unknown name without an order number is accepted, then skipped", async () => {
    const push = samplePush("orders.created", { data: { order_number: "SHP-1" } });
    const { before, after } = await pushAndFollowUp(push, null);

    expect(before).toMatchObject({ category: "unknown", catalogue: "unlisted" });
    expect(after).toMatchObject({ status: "skipped" });
    expect(after?.last_error).toContain("omisell_order_number");
  });

  it("a new name of a known category points at that category's resource", async () => {
    const push = samplePush("order_return.inspected", {
      data: { omisell_order_number: newOrderNumber(), return_order_number: "RO-77" },
    });
    const res = await sendPush(push);
    const detail = await json(await apiGet(`/api/events/${res.headers.get("Push-Event-Id")}`));
    expect(detail).toMatchObject({ category: "return", resource_type: "return", resource_id: "RO-77" });
  });
});
