/** Reads what a push is about from its JSON body, tolerantly. Pure. */
import { z } from "zod";
import { type Category, categoryOf, RESOURCE_OF_CATEGORY } from "../events/catalogue";
import { fail, ok, type Result } from "../lib/result";

export const MAX_REQUEST_ID_LENGTH = 256;
const MAX_EVENT_LENGTH = 128;
const MAX_IDENTIFIER_LENGTH = 256;

const scalarId = z.union([z.string(), z.number().finite()]).transform((value) => String(value).trim());

/** Loose view of one level of the body: only the fields we read, anything else passes through. */
const Level = z.looseObject({
  request_id: z.unknown().optional(),
  event: z.unknown().optional(),
  event_type: z.unknown().optional(),
  type: z.unknown().optional(),
  push_type: z.unknown().optional(),
  data: z.unknown().optional(),
});

const IDENTIFIER_FIELDS = [
  "omisell_order_number",
  "order_number",
  "omisell_shipment_number",
  "return_order_number",
  "invoice_number",
  "seller_id",
] as const;
type IdentifierField = (typeof IDENTIFIER_FIELDS)[number];

export type PushEnvelope = {
  requestId: string | null;
  event: string;
  category: Exclude<Category, "invalid">;
  sellerId: string | null;
  resourceType: string | null;
  resourceId: string | null;
  orderNumber: string | null;
  identifiers: Partial<Record<IdentifierField, string>>;
};

/** Why a body is not a usable push, in words for the log and the stored row. */
export type EnvelopeResult = Result<PushEnvelope, string>;

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * A non-empty string or number, as a trimmed string; anything else is absent. A number beyond
 * 2^53 was already rounded by JSON.parse, so distinct ids could collide: it counts as absent
 * (a request id then falls back to the header or the body hash).
 */
function readScalar(value: unknown): string | null {
  if (typeof value === "number" && Number.isInteger(value) && !Number.isSafeInteger(value)) return null;
  const parsed = scalarId.safeParse(value);
  return parsed.success && parsed.data.length > 0 ? parsed.data : null;
}

/**
 * The console's URL check: a body with `data.verify_info` and no event name — neither at the top
 * level nor in `data`, where the parser would find one (such a push must be stored, not ignored).
 */
export function isVerificationPing(body: unknown): boolean {
  if (!isPlainObject(body)) return false;
  const data = body.data;
  return (
    isPlainObject(data) &&
    data.verify_info !== undefined &&
    readEventName(body) === null &&
    readEventName(data) === null
  );
}

function readSellerHeader(value: string | null): string | null {
  const seller = readScalar(value);
  return seller !== null && seller.length <= MAX_IDENTIFIER_LENGTH ? seller : null;
}

function readEventName(body: Record<string, unknown>): string | null {
  for (const key of ["event", "event_type", "type", "push_type"] as const) {
    const value = body[key];
    if (typeof value === "string" && value.trim().length > 0) return value.trim();
  }
  return null;
}

/**
 * The request id from the top level, `data`, or the `Request-Id` header (`headerRequestId`); the
 * event name with its fallbacks; identifiers from the top level or `data`, the seller id also from
 * the `Seller-ID` header (`headerSellerId`). The headers are used only when the body has no request
 * id, or no seller id. The category follows the name's prefix (`events/catalogue`), and the
 * resource the category's identifier.
 */
export function parsePushEnvelope(
  body: unknown,
  headerRequestId: string | null,
  headerSellerId: string | null = null,
): EnvelopeResult {
  if (!isPlainObject(body)) return fail("body is not a JSON object");
  const top = Level.parse(body);
  const data = isPlainObject(top.data) ? top.data : {};

  const event = readEventName(top) ?? readEventName(data);
  if (event === null) return fail("no event name (event, event_type, type or push_type)");
  if (event.length > MAX_EVENT_LENGTH) return fail(`event name longer than ${MAX_EVENT_LENGTH}`);

  const requestId = readScalar(top.request_id) ?? readScalar(data.request_id) ?? readScalar(headerRequestId);
  if (requestId !== null && requestId.length > MAX_REQUEST_ID_LENGTH) {
    return fail(`request_id longer than ${MAX_REQUEST_ID_LENGTH} characters`);
  }

  const identifiers: Partial<Record<IdentifierField, string>> = {};
  for (const field of IDENTIFIER_FIELDS) {
    const value = readScalar(body[field]) ?? readScalar(data[field]);
    if (value === null) continue;
    if (value.length > MAX_IDENTIFIER_LENGTH) return fail(`${field} longer than ${MAX_IDENTIFIER_LENGTH}`);
    identifiers[field] = value;
  }

  const category = categoryOf(event);
  const resource = category === "unknown" ? null : RESOURCE_OF_CATEGORY[category];
  const resourceId = resource ? (identifiers[resource.idField] ?? identifiers.omisell_order_number ?? null) : null;
  const resourceType =
    resourceId === null || !resource ? null : identifiers[resource.idField] ? resource.type : "order";

  return ok({
    requestId,
    event,
    category,
    sellerId: identifiers.seller_id ?? readSellerHeader(headerSellerId),
    resourceType,
    resourceId,
    orderNumber: identifiers.omisell_order_number ?? null,
    identifiers,
  });
}
