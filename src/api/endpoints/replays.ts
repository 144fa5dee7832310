/**
 * Bulk replay (admin): `POST /api/events/replay` with list filters follows up again every event
 * they match, in chunks and at the lowest priority of Omisell's budget; `GET /api/replays/{id}`
 * shows its progress. Each route is declared once; the handler follows.
 */
import { createRoute, z } from "@hono/zod-openapi";
import { HttpError } from "../../errors";
import { CATEGORIES } from "../../events/catalogue";
import { EVENT_STATUSES } from "../../events/vocabulary";
import { replayProgress, startReplay } from "../../followup/bulk-replay";
import { ID_PATTERN } from "../../lib/ids";
import { parseTimeBound } from "../event-query";
import { adminAccess, apiRouter, errorAnswers, jsonAnswer } from "../route-kit";

export const replayRoutes = apiRouter();

const text = (description: string) => z.string().min(1).max(200).meta({ description });

/** A time bound in a JSON body: ms since the epoch (number or digits) or ISO 8601. */
const timeBound = (what: string) =>
  z
    .union([z.number(), z.string()])
    .transform((value, ctx) => {
      const ms = parseTimeBound(String(value));
      if (ms === null) {
        ctx.addIssue({ code: "custom", message: "expected milliseconds since the epoch or an ISO 8601 date-time" });
        return z.NEVER;
      }
      return ms;
    })
    .meta({ description: `${what} (ms since the epoch or ISO 8601).`, examples: ["2026-11-01T00:00:00Z"] });

export const ReplayFiltersBody = z
  .object({
    status: z.enum(EVENT_STATUSES).meta({ description: "Processing status, e.g. failed." }).optional(),
    event: text("Event name as sent, e.g. order.shipped.").optional(),
    category: z.enum(CATEGORIES).meta({ description: "Event category." }).optional(),
    order_number: text("Omisell order number.").optional(),
    seller_id: text("Omisell seller id.").optional(),
    since: timeBound("Only events received at or after this time").optional(),
    until: timeBound("Only events received before this time").optional(),
  })
  .strict()
  .superRefine((filters, ctx) => {
    if (Object.values(filters).every((value) => value === undefined)) {
      ctx.addIssue({ code: "custom", path: ["filters"], message: "give at least one filter" });
    }
    if (filters.since !== undefined && filters.until !== undefined && filters.since >= filters.until) {
      ctx.addIssue({ code: "custom", path: ["until"], message: "must be later than since" });
    }
  })
  .meta({ id: "ReplayFilters" });

const ReplayStarted = z
  .object({
    replay_id: z.string(),
    matched: z.number().int().meta({ description: "Events the filters matched (never `invalid` ones)." }),
    status: z.enum(["queued", "scheduled"]).meta({
      description:
        "`queued`: the first chunk is on the queue. `scheduled`: it could not be enqueued now; the cron continues the replay.",
    }),
    note: z.string().optional(),
  })
  .meta({ id: "ReplayStarted" });

const ReplayProgressBody = z
  .object({
    replay_id: z.string(),
    matched: z.number().int(),
    queued: z.number().int().meta({ description: "Events reopened and enqueued so far." }),
    done: z.number().int().meta({ description: "Of the queued events, those settled again." }),
    created_at: z.number().int().meta({ description: "ms since the epoch." }),
    finished: z.boolean().meta({ description: "Every matched event has been enqueued." }),
    filters: z.record(z.string(), z.union([z.string(), z.number()])),
  })
  .meta({ id: "ReplayProgress" });

export const startReplayRoute = createRoute({
  method: "post",
  path: "/api/events/replay",
  operationId: "replayEvents",
  tags: ["Events"],
  summary: "Replay the follow-up of every matching event",
  description:
    "Reopens every event the filters match (at least one filter; `invalid` events excepted) and follows it up again, in chunks, at the lowest priority of Omisell's rate limit, so new pushes go first. Needs an admin token.",
  ...adminAccess,
  request: { body: { required: true, content: { "application/json": { schema: ReplayFiltersBody } } } },
  responses: { 202: jsonAnswer(ReplayStarted, "Replay started."), ...errorAnswers([400, 401, 403]) },
});

replayRoutes.openapi(startReplayRoute, async (c) => {
  const started = await startReplay(c.env, c.req.valid("json"), Date.now());
  const body = { replay_id: started.replayId, matched: started.matched, status: started.status };
  if (started.status === "scheduled") {
    return c.json({ ...body, note: "could not enqueue now; the cron continues the replay within a minute" }, 202);
  }
  return c.json(body, 202);
});

export const getReplayRoute = createRoute({
  method: "get",
  path: "/api/replays/{replay_id}",
  operationId: "getReplay",
  tags: ["Events"],
  summary: "Progress of a bulk replay",
  request: {
    params: z.object({
      replay_id: z.string().regex(ID_PATTERN, "not a replay id").meta({ description: "Replay id." }),
    }),
  },
  responses: { 200: jsonAnswer(ReplayProgressBody, "The replay's progress."), ...errorAnswers([400, 401, 404]) },
});

replayRoutes.openapi(getReplayRoute, async (c) => {
  const progress = await replayProgress(c.env, c.req.valid("param").replay_id);
  if (!progress) throw new HttpError(404, "not_found", "no replay with this id");
  return c.json(progress, 200);
});
