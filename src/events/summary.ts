/** One event as the outside world sees it: in the read API, the change feed and forwarded deliveries alike. */
import { z } from "zod";
import { type CatalogueMark, catalogueMark } from "./catalogue";
import { EventRowShape, type EventSummaryRow, SUMMARY_COLUMNS } from "./vocabulary";

/** Every mark the catalogue gives, each once: a mark added there fails this line until it is here too. */
const CATALOGUE_MARKS: { [Mark in CatalogueMark]: Mark } = {
  documented: "documented",
  observed: "observed",
  unlisted: "unlisted",
};

/**
 * The public summary: the summary columns of an event row (no payload, no headers), plus
 * `catalogue`. A column added to `EventRowShape` is in it, and in the read API's schema, at once.
 */
export const EventSummaryShape = EventRowShape.pick(
  Object.fromEntries(SUMMARY_COLUMNS.map((column) => [column, true])) as Record<keyof EventSummaryRow, true>,
).extend({ catalogue: z.enum(CATALOGUE_MARKS) });

export type PublicEventSummary = z.infer<typeof EventSummaryShape>;

/** The summary of a row; whatever else the row carries (payload, headers) stays behind. */
export function publicEventSummary(row: EventSummaryRow): PublicEventSummary {
  const shown = Object.fromEntries(SUMMARY_COLUMNS.map((column) => [column, row[column]])) as EventSummaryRow;
  return { ...shown, catalogue: catalogueMark(row.event) };
}
