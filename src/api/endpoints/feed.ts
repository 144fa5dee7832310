/**
 * The change feed, for programs that mirror the events: a client keeps `next_after` and asks
 * again with it (docs/change-feed.md says why no event is skipped).
 */
import { createRoute } from "@hono/zod-openapi";
import { readFeed } from "../../read-model/event-reads";
import { FeedPage, FeedQuery } from "../../read-model/event-shapes";
import { apiRouter, errorAnswers, firstOfRepeated, jsonAnswer } from "../route-kit";

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
  return c.json(await readFeed(c.env.DB, after, limit), 200);
});
