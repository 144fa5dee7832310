/**
 * The shapes only the API has: the bodies and answers of the admin actions (replays,
 * reconciliation, a delivery's retry) and the one error body. What is read lives in `read-model/`.
 */
import { z } from "zod";
import { CATEGORIES } from "../events/catalogue";
import { EVENT_STATUSES } from "../events/vocabulary";
import { bodyTime, shortText } from "../read-model/fields";
import { MAX_MANUAL_RANGE_MS } from "../reconcile/windows";

/** Every error answer: `{"error": code, "message"?, "fields"?}` (src/errors.ts renders it). */
export const ErrorBody = z
  .object({
    error: z.string(),
    message: z.string().optional(),
    fields: z.record(z.string(), z.string()).optional().meta({ description: "Invalid parameters by name." }),
  })
  .meta({ id: "Error" });

/** How a replay's enqueue went (`status`, described per action), and a `note` when it is only scheduled. */
const enqueueOutcome = (description: string) => ({
  status: z.enum(["queued", "scheduled"]).meta({ description }),
  note: z.string().optional(),
});

/** The answer to an event's replay. */
export const ReplayAccepted = z
  .object({
    event_id: z.string(),
    ...enqueueOutcome(
      "`queued`: the follow-up is on the queue. `scheduled`: the enqueue failed; the event is `received` and the cron sweeper sends it within SWEEP_AFTER_SECONDS.",
    ),
  })
  .meta({ id: "ReplayAccepted" });

const replayTime = (what: string) =>
  bodyTime().meta({ description: `${what} (ms since the epoch or ISO 8601).`, examples: ["2026-11-01T00:00:00Z"] });

/** The body of a bulk replay: the list's filters, at least one, time bounds in a JSON body. */
export const ReplayFiltersBody = z
  .object({
    status: z.enum(EVENT_STATUSES).meta({ description: "Processing status, e.g. failed." }).optional(),
    event: shortText("Event name as sent, e.g. order.shipped.").optional(),
    category: z.enum(CATEGORIES).meta({ description: "Event category." }).optional(),
    order_number: shortText("Omisell order number.").optional(),
    seller_id: shortText("Omisell seller id.").optional(),
    since: replayTime("Only events received at or after this time").optional(),
    until: replayTime("Only events received before this time").optional(),
    error_group: z
      .string()
      .regex(/^[0-9a-f]{8}$/, "not a failure group key (8 hex digits, from GET /api/failures)")
      .meta({
        description:
          "A failure group's `key` (GET /api/failures): replays exactly that group's failed events, among the 500 most recent failures. Alone, or with `status: failed`.",
      })
      .optional(),
  })
  .strict()
  .superRefine((filters, ctx) => {
    if (Object.values(filters).every((value) => value === undefined)) {
      ctx.addIssue({ code: "custom", path: ["filters"], message: "give at least one filter" });
    }
    const { error_group, status, ...others } = filters;
    if (
      error_group !== undefined &&
      (Object.values(others).some((v) => v !== undefined) || (status ?? "failed") !== "failed")
    ) {
      ctx.addIssue({
        code: "custom",
        path: ["error_group"],
        message: "is a filter of its own: give no other (but status failed)",
      });
    }
    if (filters.since !== undefined && filters.until !== undefined && filters.since >= filters.until) {
      ctx.addIssue({ code: "custom", path: ["until"], message: "must be later than since" });
    }
  })
  .meta({ id: "ReplayFilters", examples: [{ status: "failed", since: "2026-11-29T00:00:00Z" }] });

/** The answer to a bulk replay's start. */
export const ReplayStarted = z
  .object({
    replay_id: z.string(),
    matched: z.number().int().meta({ description: "Events the filters matched (never `invalid` ones)." }),
    ...enqueueOutcome(
      "`queued`: the first chunk is on the queue. `scheduled`: it could not be enqueued now; the cron continues the replay.",
    ),
  })
  .meta({ id: "ReplayStarted" });

const rangeEnd = (what: string) =>
  bodyTime().meta({
    description: `${what}: milliseconds since the epoch (1732780800000) or ISO 8601 (UTC when no offset is given).`,
    examples: ["2024-11-28T00:00:00Z"],
  });

/** The range a manual reconciliation lists: at most 15 days. */
export const ReconcileRequest = z
  .object({
    from: rangeEnd("Start of the range, inclusive"),
    to: rangeEnd("End of the range, inclusive"),
  })
  .strict()
  .superRefine((range, ctx) => {
    if (range.to <= range.from) {
      ctx.addIssue({ code: "custom", path: ["to"], message: "must be later than from" });
    } else if (range.to - range.from > MAX_MANUAL_RANGE_MS) {
      ctx.addIssue({ code: "custom", path: ["to"], message: "must be at most 15 days after from" });
    }
  })
  .meta({ id: "ReconcileRequest", examples: [{ from: "2026-11-28T00:00:00Z", to: "2026-11-28T06:00:00Z" }] });

/** The answer to a manual reconciliation: the run to follow. */
export const ReconcileAccepted = z
  .object({ run_id: z.string().meta({ description: "The run; follow it in GET /api/reconcile/runs." }) })
  .meta({ id: "ReconcileAccepted" });

/** The answer to a delivery's retry. */
export const DeliveryRetryQueued = z.object({ delivery_id: z.string(), status: z.literal("queued") });
