/**
 * The answers of the destinations' admin actions. Their bodies are `forward/destination-input.ts`'s
 * (the dashboard's forms take the same); what is read lives in `read-model/destinations.ts`.
 */
import { z } from "zod";
import { Destination } from "../read-model/destinations";

const warnings = z
  .array(z.string())
  .optional()
  .meta({ description: "Present when the filter may match nothing: accepted, but said." });

export const DestinationCreated = z
  .object({
    destination: Destination,
    secret: z.string().meta({ description: "`whsec_…`: shown only here (and by rotate-secret). Keep it." }),
    warnings,
  })
  .meta({ id: "DestinationCreated" });

export const DestinationChanged = Destination.extend({ warnings }).meta({ id: "DestinationChanged" });

export const DestinationDeleted = z
  .object({
    destination: Destination,
    cancelled: z.int().meta({ description: "Its pending deliveries, now `cancelled`." }),
  })
  .meta({ id: "DestinationDeleted" });

export const SecretRotated = z
  .object({
    secret: z.string().meta({ description: "The new `whsec_…`, shown only here." }),
    previous_secret_valid_until: z.int().meta({ description: "ms; both signatures are sent until then (24 h)." }),
  })
  .meta({ id: "SecretRotated" });

export const DestinationTested = z
  .object({
    ok: z.boolean().meta({ description: "True on a 2xx." }),
    status_code: z.int().nullable().meta({ description: "null after a network error or timeout." }),
    latency_ms: z.int(),
    error: z.string().optional(),
  })
  .meta({ id: "DestinationTested" });

export const FailedRetried = z
  .object({ queued: z.int().meta({ description: "Failed deliveries put back to pending, tried again now." }) })
  .meta({ id: "FailedRetried" });
