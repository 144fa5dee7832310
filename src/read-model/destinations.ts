/**
 * Destinations as the API and the dashboard show them: their settings, state and health, never a
 * secret; and the alerts' list.
 */
import { z } from "zod";
import { readConfig } from "../config";
import { type DestinationFilter, normalizeFilter } from "../events/destination-filter";
import { parseJsonOr } from "../lib/json";
import { readDestinationCounts } from "../store/destination-health";
import {
  asConfigured,
  DEFAULT_DESTINATION_ID,
  DESTINATION_FORMATS,
  DESTINATION_STATES,
  type DestinationRow,
  listDestinationRows,
  readDestinationRow,
  readFeedHead,
} from "../store/destinations";
import { DESTINATION_ID_PATTERN } from "./deliveries";

const DAY_MS = 86_400_000;

/** `{id}` of a destination's paths. */
export const DestinationIdParam = z.object({
  id: z
    .string()
    .regex(DESTINATION_ID_PATTERN, "not a destination id (default, or dst_ and 26 characters)")
    .meta({ description: "`default` (FORWARD_URL's) or `dst_…`." }),
});

const strings = (description: string) => z.array(z.string()).optional().meta({ description });

/** A filter as stored and shown: only the parts given. */
export const DestinationFilterView = z
  .object({
    events: strings("Event names, or prefixes ending in `.`."),
    categories: strings("Event categories."),
    statuses: strings("Final statuses."),
    seller_ids: strings("Omisell seller ids."),
  })
  .meta({ id: "DestinationFilterView", description: "All parts optional, ANDed; absent: no filter." });

export const DestinationHealth = z
  .object({
    delivered_24h: z.int().meta({ description: "Deliveries delivered in the last 24 hours (whole hours)." }),
    failed_24h: z.int().meta({ description: "Failed attempts in the last 24 hours (whole hours)." }),
    last_error: z.string().nullable(),
    last_error_at: z.int().nullable().meta({ description: "ms." }),
    last_delivered_at: z.int().nullable().meta({ description: "ms; the last 2xx." }),
    lag: z.int().meta({ description: "The feed's newest `seq` minus the destination's cursor." }),
  })
  .meta({ id: "DestinationHealth" });

/** A destination as shown: no secret, ever. */
export const Destination = z
  .object({
    id: z.string(),
    name: z.string(),
    url: z.string(),
    format: z.enum(DESTINATION_FORMATS).meta({ description: "`envelope` (event and order) or `raw` (the push body)." }),
    filter: DestinationFilterView,
    rate_per_minute: z.int().nullable().meta({ description: "Attempts per minute at most; null: no cap." }),
    state: z.enum(DESTINATION_STATES),
    disabled_reason: z.string().nullable().meta({ description: "Why it is disabled (or paused by the config)." }),
    cursor_seq: z.int().meta({ description: "The change-feed position it has walked to." }),
    events_lost: z.int().meta({ description: "Matching events retention deleted before its cursor reached them." }),
    config_managed: z
      .boolean()
      .meta({ description: "True for `default`: FORWARD_URL's, changed only through config." }),
    previous_secret_valid_until: z
      .int()
      .nullable()
      .meta({ description: "ms; after a rotation, until when the previous secret still signs too." }),
    created_at: z.int(),
    updated_at: z.int(),
    health: DestinationHealth,
  })
  .meta({ id: "Destination" });
export type Destination = z.infer<typeof Destination>;

export const DestinationList = z.object({ destinations: z.array(Destination) }).meta({ id: "DestinationList" });

type Counts = Map<string, { delivered: number; failed: number }>;

function filterOf(row: DestinationRow): DestinationFilter {
  const parsed = parseJsonOr(row.filter, {});
  return typeof parsed === "object" && parsed !== null ? normalizeFilter(parsed as DestinationFilter) : {};
}

function view(row: DestinationRow, counts: Counts, head: number, now: number): Destination {
  const hours = counts.get(row.id) ?? { delivered: 0, failed: 0 };
  const rotation = row.previous_secret_until !== null && row.previous_secret_until > now;
  return {
    id: row.id,
    name: row.name,
    url: row.url,
    format: row.format,
    filter: filterOf(row),
    rate_per_minute: row.rate_per_minute,
    state: row.state,
    disabled_reason: row.disabled_reason,
    cursor_seq: row.cursor_seq,
    events_lost: row.events_lost,
    config_managed: row.id === DEFAULT_DESTINATION_ID,
    previous_secret_valid_until: rotation ? row.previous_secret_until : null,
    created_at: row.created_at,
    updated_at: row.updated_at,
    health: {
      delivered_24h: hours.delivered,
      failed_24h: hours.failed,
      last_error: row.last_error,
      last_error_at: row.last_error_at,
      last_delivered_at: row.last_success_at,
      lag: Math.max(0, head - row.cursor_seq),
    },
  };
}

/**
 * Every destination with its health, oldest first. The default one is listed only while
 * FORWARD_URL is set, and shown as the config makes it.
 */
export async function readDestinations(env: Env, now: number): Promise<Destination[]> {
  const forwardUrl = readConfig(env).forward.destination?.url ?? null;
  const [rows, counts, head] = await Promise.all([
    listDestinationRows(env.DB),
    readDestinationCounts(env.DB, now - DAY_MS),
    readFeedHead(env.DB),
  ]);
  return rows.flatMap((row) => {
    const shown = asConfigured(row, forwardUrl);
    return shown ? [view(shown, counts, head, now)] : [];
  });
}

/** One destination with its health, or null (unknown, or the default one while FORWARD_URL is unset). */
export async function readDestination(env: Env, id: string, now: number): Promise<Destination | null> {
  const row = await readDestinationRow(env.DB, id);
  return row ? destinationView(env, row, now) : null;
}

/** The view of a row an action returned, with its health. */
export async function destinationView(env: Env, row: DestinationRow, now: number): Promise<Destination | null> {
  const shown = asConfigured(row, readConfig(env).forward.destination?.url ?? null);
  if (!shown) return null;
  const [counts, head] = await Promise.all([readDestinationCounts(env.DB, now - DAY_MS), readFeedHead(env.DB)]);
  return view(shown, counts, head, now);
}
