/**
 * Zod schemas of reconciliation's endpoints and of the pipeline health check: what they accept
 * and answer. Declared apart from schemas.ts so each capability's shapes sit together.
 */
import { z } from "zod";
import { PIPELINE_REASONS } from "../health/pipeline";
import { MAX_MANUAL_RANGE_MS } from "../reconcile/windows";
import { decodeCursor, parseTimeBound } from "./event-query";

/** A time as milliseconds since the epoch (a number or digits) or ISO 8601; null when neither. */
function readTime(value: unknown): number | null {
  if (typeof value === "number") return Number.isInteger(value) && value >= 0 ? parseTimeBound(String(value)) : null;
  return typeof value === "string" ? parseTimeBound(value) : null;
}

const time = (what: string) =>
  z
    .union([z.number(), z.string()])
    .transform((value, ctx) => {
      const ms = readTime(value);
      if (ms === null) {
        ctx.addIssue({ code: "custom", message: "expected milliseconds since the epoch or an ISO 8601 date-time" });
        return z.NEVER;
      }
      return ms;
    })
    .meta({
      description: `${what}: milliseconds since the epoch (1732780800000) or ISO 8601 (UTC when no offset is given).`,
      examples: ["2024-11-28T00:00:00Z"],
    });

export const ReconcileRequest = z
  .object({
    from: time("Start of the range, inclusive"),
    to: time("End of the range, inclusive"),
  })
  .strict()
  .superRefine((range, ctx) => {
    if (range.to <= range.from) {
      ctx.addIssue({ code: "custom", path: ["to"], message: "must be later than from" });
    } else if (range.to - range.from > MAX_MANUAL_RANGE_MS) {
      ctx.addIssue({ code: "custom", path: ["to"], message: "must be at most 15 days after from" });
    }
  })
  .meta({ id: "ReconcileRequest" });

export const ReconcileAccepted = z
  .object({ run_id: z.string().meta({ description: "The run; follow it in GET /api/reconcile/runs." }) })
  .meta({ id: "ReconcileAccepted" });

export const ListRunsQuery = z
  .object({
    limit: z.coerce.number().int().min(1).max(200).default(50).meta({ description: "Page size, 1 to 200." }),
    cursor: z
      .string()
      .transform((text, ctx) => {
        const id = decodeCursor(text);
        if (id === null) {
          ctx.addIssue({ code: "custom", message: "not a cursor returned as next_cursor" });
          return z.NEVER;
        }
        return id;
      })
      .meta({ description: "The `next_cursor` of the previous page." })
      .optional(),
  })
  .strict();

export const ReconcileRunView = z
  .object({
    id: z.string(),
    trigger: z
      .enum(["cron", "manual"])
      .meta({ description: "`cron`: one periodic window; `manual`: a requested range." }),
    window_from: z.int().meta({ description: "ms, inclusive" }),
    window_to: z.int().meta({ description: "ms, inclusive" }),
    started_at: z.int(),
    finished_at: z.int().nullable(),
    status: z.enum(["running", "done", "failed"]),
    orders_listed: z.int().meta({ description: "Order changes Omisell listed (so far, while running)." }),
    missed: z.int().meta({ description: "Of those, changes no push had told about." }),
    error: z.string().nullable(),
    listed_to: z
      .int()
      .nullable()
      .meta({ description: "Manual runs: how far the range has been listed (ms); null before the first window." }),
  })
  .meta({ id: "ReconcileRun" });

export const ReconcileRunPage = z
  .object({
    runs: z.array(ReconcileRunView).meta({ description: "Newest first." }),
    next_cursor: z.string().nullable().meta({ description: "Pass as `cursor` for the next page; null on the last." }),
  })
  .meta({ id: "ReconcileRunPage" });

export const PipelineHealthView = z
  .object({
    status: z.enum(["ok", "degraded"]),
    reasons: z
      .array(z.enum(PIPELINE_REASONS))
      .optional()
      .meta({ description: "Present when degraded: what is wrong (README, health check)." }),
  })
  .meta({ id: "PipelineHealth" });
