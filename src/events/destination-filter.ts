/**
 * Which settled events a destination receives: the filter's shape (parsed with zod, unknown keys
 * refused) and the warnings of a filter that may match nothing. Matching itself runs in D1
 * (store/destination-match.ts), where the walk and the loss count need it.
 */
import { z } from "zod";
import { CATEGORIES, catalogueMark } from "./catalogue";

/** The statuses an event settles in: the only ones a delivery is ever made for. */
export const FINAL_STATUSES = ["processed", "skipped", "failed"] as const;

const MAX_ITEMS = 100;
const list = <T extends z.ZodType>(item: T, description: string) =>
  z.array(item).max(MAX_ITEMS).optional().meta({ description });

/**
 * Every part optional; the parts given are ANDed, the values of one part ORed. An absent part
 * matches everything; an empty list matches nothing.
 * @example { "events": ["order.", "shipment.delivered"], "seller_ids": ["1001"] }
 */
export const DestinationFilter = z
  .object({
    events: list(
      z.string().min(1).max(200),
      "Event names, or prefixes ending in `.` (`order.` matches `order.shipped`, not `order_return.all`).",
    ),
    categories: list(
      z.string().min(1).max(50),
      "Event categories (`order`, `shipment`, `return`, `sale_invoice`, `unknown`).",
    ),
    statuses: list(z.string().min(1).max(50), "Final statuses: `processed`, `skipped`, `failed`."),
    seller_ids: list(
      z.union([z.string().min(1).max(100), z.int()]).transform(String),
      "Omisell seller ids (text or number).",
    ),
  })
  .strict()
  .meta({ id: "DestinationFilter" });

export type DestinationFilter = z.output<typeof DestinationFilter>;

/** The filter as stored and shown: only the parts given, in a fixed order. */
export function normalizeFilter(filter: DestinationFilter): DestinationFilter {
  const out: DestinationFilter = {};
  if (filter.events) out.events = [...new Set(filter.events)];
  if (filter.categories) out.categories = [...new Set(filter.categories)];
  if (filter.statuses) out.statuses = [...new Set(filter.statuses)];
  if (filter.seller_ids) out.seller_ids = [...new Set(filter.seller_ids)];
  return out;
}

/**
 * What may keep the filter from matching anything, in words (accepted, and answered as
 * `warnings`): an empty list, a status no event settles in, a category no settled event has, an
 * event name the catalogue does not know (it matches only if Omisell sends exactly that name).
 */
export function filterWarnings(filter: DestinationFilter): string[] {
  const warnings: string[] = [];
  for (const [part, values] of Object.entries(filter)) {
    if (Array.isArray(values) && values.length === 0) warnings.push(`filter.${part} is empty: it matches no event`);
  }
  for (const status of filter.statuses ?? []) {
    if (!(FINAL_STATUSES as readonly string[]).includes(status)) {
      warnings.push(
        `filter.statuses: "${status}" is not a final status (processed, skipped, failed): it matches nothing`,
      );
    }
  }
  const settledCategories = CATEGORIES.filter((category) => category !== "invalid") as readonly string[];
  for (const category of filter.categories ?? []) {
    if (!settledCategories.includes(category)) {
      warnings.push(`filter.categories: "${category}" is not a category a settled event has: it matches nothing`);
    }
  }
  for (const name of filter.events ?? []) {
    if (!name.endsWith(".") && catalogueMark(name) === "unlisted") {
      warnings.push(`filter.events: "${name}" is not in the event catalogue: it matches only if Omisell sends it`);
    }
  }
  return warnings;
}
