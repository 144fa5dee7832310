/** The alerts raised, as the API and the dashboard list them. */
import { z } from "zod";
import { parseJsonOr } from "../lib/json";
import { ALERT_STATUSES, type AlertRow, listAlerts } from "../store/alerts";
import { cursorIdOrThrow, signCursor } from "./cursor";
import { nextCursor, pageCursor, pageSize } from "./fields";

export const ListAlertsQuery = z
  .object({
    kind: z.string().min(1).max(50).meta({ description: "Only this kind, e.g. `destination.disabled`." }).optional(),
    limit: pageSize(200, 50),
    cursor: pageCursor(),
  })
  .strict();

export const Alert = z
  .object({
    id: z.string().meta({ description: "Also the `webhook-id` of a signed alert." }),
    kind: z.string().meta({
      description:
        "`health.degraded`, `health.recovered`, `destination.disabled`, `destination.recovered`, `events.failed`, `retention.risk`.",
    }),
    subject: z.string().meta({ description: "What it is about: the reasons, a destination id, `events`, `health`." }),
    data: z.record(z.string(), z.unknown()).meta({ description: "The details sent." }),
    created_at: z.int(),
    sent_at: z.int().nullable(),
    status: z.enum(ALERT_STATUSES).meta({ description: "`pending` (tried again next minute), `sent` or `failed`." }),
    attempts: z.int(),
    last_error: z.string().nullable(),
  })
  .meta({ id: "Alert" });
export type Alert = z.infer<typeof Alert>;

export const AlertPage = z
  .object({ alerts: z.array(Alert).meta({ description: "Newest first." }), next_cursor: nextCursor() })
  .meta({ id: "AlertPage" });
export type AlertPage = z.infer<typeof AlertPage>;

function toAlert(row: AlertRow): Alert {
  const data = parseJsonOr(row.data, {});
  return {
    ...row,
    data: typeof data === "object" && data !== null && !Array.isArray(data) ? (data as Record<string, unknown>) : {},
  };
}

/** One page of alerts, newest first. */
export async function readAlertPage(env: Env, query: z.infer<typeof ListAlertsQuery>): Promise<AlertPage> {
  const cursor = await cursorIdOrThrow(env, "alerts", query.cursor);
  const page = await listAlerts(env.DB, { ...query, cursor });
  return {
    alerts: page.alerts.map(toAlert),
    next_cursor: page.next_cursor === null ? null : await signCursor(env, "alerts", page.next_cursor),
  };
}
