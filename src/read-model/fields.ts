/** The zod pieces the public shapes are built from, so a parameter or a column is described one way everywhere. */
import { z } from "zod";
import { ID_PATTERN } from "../lib/ids";
import { CURSOR_PATTERN } from "./cursor";
import { parseTimeBound } from "./event-query";

/**
 * A string read by `parse`; when it gives null, the parameter is invalid with `message`.
 * @example parsedString(parseTimeBound, "expected a time")
 */
export function parsedString<T>(parse: (text: string) => T | null, message: string) {
  return z.string().transform((text, ctx) => {
    const value = parse(text);
    if (value === null) {
      ctx.addIssue({ code: "custom", message });
      return z.NEVER;
    }
    return value;
  });
}

const NOT_A_TIME = "expected milliseconds since the epoch or an ISO 8601 date-time";

/** A time in a query string, in ms: digits (ms since the epoch) or ISO 8601; describe it with `.meta`. */
export function queryTime() {
  return parsedString(parseTimeBound, NOT_A_TIME);
}

/**
 * A time in a JSON body, in ms: a whole number of ms since the epoch (as a number or digits) or
 * ISO 8601; describe it with `.meta`.
 */
export function bodyTime() {
  return z.union([z.number(), z.string()]).transform((value, ctx) => {
    // A number that is not a whole non-negative one prints as no bound ("1.5", "-5", "1e+21").
    const ms = parseTimeBound(String(value));
    if (ms === null) {
      ctx.addIssue({ code: "custom", message: NOT_A_TIME });
      return z.NEVER;
    }
    return ms;
  });
}

/** A short free-text filter (an event name, an order number, a seller id). */
export function shortText(description: string) {
  return z.string().min(1).max(200).meta({ description });
}

/** A row id (26 characters, Crockford base32); `message` says what kind of id was expected. */
export function rowId(message: string) {
  return z.string().regex(ID_PATTERN, message);
}

/** `limit` of a paged list: 1 to `max`, `fallback` when absent. */
export function pageSize(max: number, fallback: number) {
  return z.coerce
    .number()
    .int()
    .min(1)
    .max(max)
    .default(fallback)
    .meta({ description: `Page size, 1 to ${max}.` });
}

/**
 * `cursor` of a paged list: the `next_cursor` a previous page gave. Only its form is checked
 * here; its signature is checked by the list's read (`cursorIdOrThrow`), which has the key.
 */
export function pageCursor() {
  return z
    .string()
    .regex(CURSOR_PATTERN, "not a cursor returned as next_cursor")
    .meta({ description: "The `next_cursor` of the previous page (signed: a cursor made up or altered is a 400)." })
    .optional();
}

/** `next_cursor` of a paged answer. */
export function nextCursor() {
  return z.string().nullable().meta({ description: "Pass as `cursor` for the next page; null on the last." });
}

/**
 * `schema` with a description on each field `descriptions` names; the fields themselves stay as
 * the schema declares them (their type, their order).
 */
export function withDescriptions<S extends z.ZodObject>(
  schema: S,
  descriptions: Partial<Record<keyof S["shape"] & string, string>>,
): S {
  const described = Object.fromEntries(
    Object.entries(descriptions).map(([field, description]) => [field, schema.shape[field]?.meta({ description })]),
  );
  // Descriptions change no field's type: the extended schema is still an `S`.
  return schema.extend(described) as unknown as S;
}

/**
 * The zod fields of a public view of the store's `Row` type, every column but the `Internal` ones:
 * the compiler asks for each such column, with a schema of the column's type, and refuses any
 * other, so a column added to the row must be declared here (or named internal) to compile.
 * @example z.object(columnsOf<DeliveryRow, "settlement">()({ id: z.string(), … }))
 */
export function columnsOf<Row, Internal extends keyof Row = never>() {
  type Shown = Exclude<keyof Row, Internal>;
  return <Shape extends { [Column in Shown]: z.ZodType<Row[Column]> }>(
    shape: Shape & Record<Exclude<keyof Shape, Shown>, never>,
  ): Shape => shape;
}

/**
 * The fields `schema` declares, taken from a row in the schema's order: a column the schema does
 * not name (an internal one, or one added to the table later) never leaves the store.
 */
export function shownFields<S extends z.ZodObject>(schema: S) {
  const fields = Object.keys(schema.shape);
  return (row: z.infer<S>): z.infer<S> =>
    Object.fromEntries(fields.map((field) => [field, (row as Record<string, unknown>)[field]])) as z.infer<S>;
}
