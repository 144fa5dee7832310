/**
 * The change feed: events in the order their latest change committed, for programs that mirror
 * the events. A client keeps `next_after` and asks again with it; every insert and status
 * change gives the event a new, higher `seq`, so each event shows up again with its latest status
 * and none is skipped (docs/change-feed.md says why).
 */
import { createRoute } from "@hono/zod-openapi";
import { z } from "zod";
import { readFeedPage } from "../../store/feed";
import { apiRouter, errorAnswers, firstOfRepeated, jsonAnswer } from "../route-kit";
import { EventSummary } from "../schemas";
import { toEventSummary } from "../views";

export const FeedQuery = z
  .object({
    // Digits, not z.coerce: a coerced number accepts null as 0, and the reference would then say nullable.
    after: z
      .string()
      .regex(/^\d{1,15}$/, "expected a non-negative integer: the next_after of a previous answer")
      .transform(Number)
      .default(0)
      .meta({ description: "The `next_after` of the previous answer; 0 (the default) starts at the beginning." }),
    limit: z.coerce.number().int().min(1).max(500).default(100).meta({ description: "Page size, 1 to 500." }),
  })
  .strict();

export const FeedPage = z
  .object({
    changes: z.array(EventSummary).meta({
      description: "Events whose latest change is past `after`, ascending by `seq`, each with its current status.",
    }),
    next_after: z
      .int()
      .meta({ description: "Pass as `after` next time: the last `seq` returned, or `after` when none." }),
  })
  .meta({ id: "FeedPage" });

export const feedRoutes = apiRouter();

export const getFeed = createRoute({
  method: "get",
  path: "/api/feed",
  operationId: "getFeed",
  tags: ["Change feed"],
  summary: "Follow changes",
  description:
    "Every event inserted or whose status changed after `after`, ascending by `seq`. Store `next_after` and poll with it: each event appears again at each status change, and none is skipped.",
  request: { query: firstOfRepeated(FeedQuery) },
  responses: { 200: jsonAnswer(FeedPage, "The changes past `after`."), ...errorAnswers([400, 401]) },
});

feedRoutes.openapi(getFeed, async (c) => {
  const { after, limit } = c.req.valid("query");
  const rows = await readFeedPage(c.env.DB, after, limit);
  return c.json({ changes: rows.map(toEventSummary), next_after: rows.at(-1)?.seq ?? after }, 200);
});
