/**
 * Property-based tests (fast-check) of the push envelope parser: whatever JSON Omisell — or
 * anyone — sends, parsing never throws, answers a clear ok/reason, and what it returns obeys the
 * limits the storage relies on (bounded ids, a known category, identifiers taken from the body).
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { categoryOf, KNOWN_EVENTS } from "../src/events/catalogue";
import { isVerificationPing, MAX_REQUEST_ID_LENGTH, type PushEnvelope, parsePushEnvelope } from "../src/push/envelope";

const RUNS = { numRuns: 300, seed: 42 };
const CATEGORIES = new Set(["order", "shipment", "return", "sale_invoice", "unknown"]);

/** Any JSON value, including deep and odd ones; `__proto__` and friends come as keys too. */
const anyJson = fc.jsonValue({ maxDepth: 6 });
const trickyKey = fc.constantFrom("__proto__", "constructor", "toString", "hasOwnProperty", "valueOf", "");
const scalar = fc.oneof(
  fc.string(),
  fc.integer(),
  fc.double(),
  fc.constant(null),
  fc.boolean(),
  fc.constantFrom(Number.MAX_SAFE_INTEGER, -0, 1e308, "  ", "\u0000", "😀".repeat(100)),
);

/** A body shaped like a push, with every field possibly missing, mistyped or hostile. */
const pushLike = fc.record(
  {
    request_id: scalar,
    event: fc.oneof(fc.constantFrom(...KNOWN_EVENTS), fc.string(), scalar),
    event_type: scalar,
    type: scalar,
    push_type: scalar,
    seller_id: scalar,
    omisell_order_number: scalar,
    data: fc.oneof(
      anyJson,
      fc.record(
        {
          request_id: scalar,
          event: scalar,
          omisell_order_number: scalar,
          omisell_shipment_number: scalar,
          return_order_number: scalar,
          invoice_number: scalar,
          verify_info: scalar,
        },
        { requiredKeys: [] },
      ),
    ),
  },
  { requiredKeys: [] },
);

const anyBody = fc.oneof(
  anyJson,
  pushLike,
  fc.dictionary(trickyKey, anyJson),
  // JSON.parse of a text with "__proto__" makes an own property, unlike an object literal.
  pushLike.map((body) => JSON.parse(JSON.stringify({ ...body, __proto__: { event: "order.created" } })) as unknown),
);

/** Asserts `holds` of every envelope parsePushEnvelope accepts among RUNS bodies (no header id). */
function forEveryAcceptedBody(holds: (envelope: PushEnvelope, body: unknown) => boolean): void {
  fc.assert(
    fc.property(anyBody, (body) => {
      const result = parsePushEnvelope(body, null);
      return !result.ok || holds(result.value, body);
    }),
    RUNS,
  );
}

describe("parsePushEnvelope, for any body", () => {
  it("never throws, and answers ok or a non-empty reason", () => {
    fc.assert(
      fc.property(anyBody, fc.option(fc.string(), { nil: null }), (body, header) => {
        const result = parsePushEnvelope(body, header);
        return result.ok ? typeof result.value.event === "string" : result.reason.length > 0;
      }),
      RUNS,
    );
  });

  it("accepts only a bounded, non-blank event name and request id", () => {
    fc.assert(
      fc.property(anyBody, fc.option(fc.string({ maxLength: 400 }), { nil: null }), (body, header) => {
        const result = parsePushEnvelope(body, header);
        if (!result.ok) return true;
        const { event, requestId } = result.value;
        return (
          event.trim() === event &&
          event.length > 0 &&
          event.length <= 128 &&
          (requestId === null || (requestId.length > 0 && requestId.length <= MAX_REQUEST_ID_LENGTH))
        );
      }),
      RUNS,
    );
  });

  it("gives every accepted push a known category, the catalogue's for a known event", () => {
    forEveryAcceptedBody(({ event, category }) => CATEGORIES.has(category) && category === categoryOf(event));
  });

  it("rejects anything that is not a JSON object", () => {
    const notObject = fc.oneof(
      fc.array(anyJson),
      fc.string(),
      fc.double(),
      fc.boolean(),
      fc.constant(null),
      fc.constant(undefined),
    );
    fc.assert(
      fc.property(notObject, (body) => !parsePushEnvelope(body, "rid-1").ok),
      RUNS,
    );
  });

  it("takes the request id from the body before the header", () => {
    fc.assert(
      fc.property(
        fc.string({ minLength: 1, maxLength: 100 }).filter((s) => s.trim().length > 0),
        fc.string({ minLength: 1, maxLength: 100 }),
        fc.constantFrom(...KNOWN_EVENTS),
        (bodyId, headerId, event) => {
          const result = parsePushEnvelope({ request_id: bodyId, event }, headerId);
          return result.ok && result.value.requestId === bodyId.trim();
        },
      ),
      RUNS,
    );
  });

  it("never finds an identifier that is not in the body", () => {
    forEveryAcceptedBody(({ identifiers }, body) => {
      const text = JSON.stringify(body) ?? "";
      return Object.values(identifiers).every(
        (value) => text.includes(JSON.stringify(value).slice(1, -1)) || text.includes(value),
      );
    });
  });

  it("is deterministic: the same body gives the same answer", () => {
    fc.assert(
      fc.property(anyBody, (body) => {
        expect(parsePushEnvelope(body, "h")).toEqual(parsePushEnvelope(structuredClone(body), "h"));
      }),
      { ...RUNS, numRuns: 100 },
    );
  });
});

describe("isVerificationPing, for any body", () => {
  it("never throws and never calls a push the parser accepts a ping", () => {
    // A ping is answered 200, ignored and stored nowhere: it must not be a push we could keep.
    fc.assert(
      fc.property(anyBody, (body) => !isVerificationPing(body) || !parsePushEnvelope(body, null).ok),
      RUNS,
    );
  });

  it("does not take a push whose event name is inside data for a ping", () => {
    const body = { request_id: "r-1", data: { event: "order.created", verify_info: "x", omisell_order_number: "OM1" } };
    expect(parsePushEnvelope(body, null).ok).toBe(true);
    expect(isVerificationPing(body)).toBe(false);
  });

  it("recognises the console's check whatever verify_info holds", () => {
    fc.assert(
      fc.property(
        anyJson.filter((v) => v !== undefined),
        fc.integer(),
        (info, code) => isVerificationPing({ code, data: { verify_info: info } }),
      ),
      RUNS,
    );
  });

  it("is never true for a push that names a known event", () => {
    fc.assert(
      fc.property(fc.constantFrom(...KNOWN_EVENTS), anyJson, (event, info) => {
        return !isVerificationPing({ event, data: { verify_info: info } });
      }),
      RUNS,
    );
  });
});
