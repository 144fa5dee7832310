/** What a destination is created or changed with, as the API's JSON and the dashboard's forms give it. */
import { z } from "zod";
import { DestinationFilter } from "../events/destination-filter";
import { DESTINATION_FORMATS } from "../store/destinations";

/** Each field once: POST takes them (name and url required), PATCH any of them. */
const fields = {
  name: z.string().trim().min(1).max(100).meta({ description: "What people call it, e.g. `ERP`." }),
  url: z
    .string()
    .min(1)
    .max(2000)
    .meta({
      description:
        "`https://…`, or `http://` to localhost / 127.0.0.1 (any host with ALLOW_HTTP_DESTINATIONS=true). No credentials.",
      examples: ["https://erp.example.com/hooks/omisell"],
    }),
  format: z.enum(DESTINATION_FORMATS).meta({
    description: "`envelope` (default: event summary and order) or `raw` (the Omisell push body, byte for byte).",
  }),
  filter: DestinationFilter,
  rate_per_minute: z
    .int()
    .min(1)
    .max(60_000)
    .nullable()
    .meta({ description: "Attempts per minute at most (waiting for it is no failed attempt); null: no cap." }),
  start: z.union([z.literal("now"), z.int().min(0)]).meta({
    description: "`now` (default): what settles from now on. A `seq`: begin after it, sending the history since.",
  }),
};

export const DestinationCreate = z
  .object({
    name: fields.name,
    url: fields.url,
    format: fields.format.optional(),
    filter: fields.filter.optional(),
    rate_per_minute: fields.rate_per_minute.optional(),
    start: fields.start.optional(),
  })
  .strict()
  .meta({ id: "DestinationCreate" });

export const DestinationPatch = z
  .object({
    name: fields.name.optional(),
    url: fields.url.optional(),
    format: fields.format.optional(),
    filter: fields.filter.optional(),
    rate_per_minute: fields.rate_per_minute.optional(),
    start: fields.start.optional(),
  })
  .strict()
  .refine((patch) => Object.values(patch).some((value) => value !== undefined), {
    path: ["request"],
    message: "give at least one field",
  })
  .meta({ id: "DestinationPatch" });
