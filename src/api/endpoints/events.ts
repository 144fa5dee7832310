/** Events: the list (filters, time bounds, keyset pages), one event with its payload, an admin's replay of one. */
import { createRoute } from "@hono/zod-openapi";
import { HttpError } from "../../errors";
import { replayEvent } from "../../followup/replay";
import { readEvent, readEventPage } from "../../read-model/event-reads";
import { EventDetail, EventIdParam, EventPage, ListEventsQuery } from "../../read-model/event-shapes";
import { adminAccess, apiRouter, errorAnswers, firstOfRepeated, foundOr404, jsonAnswer } from "../route-kit";
import { ReplayAccepted } from "../schemas";

export const eventRoutes = apiRouter();

export const listEvents = createRoute({
  method: "get",
  path: "/api/events",
  operationId: "listEvents",
  tags: ["Events"],
  summary: "List events",
  description:
    "Stored pushes, newest first, without payload. Filters combine with AND. Page with `cursor` = the previous `next_cursor`; pages never overlap.",
  request: { query: firstOfRepeated(ListEventsQuery) },
  responses: { 200: jsonAnswer(EventPage, "A page of events."), ...errorAnswers([400, 401]) },
});

eventRoutes.openapi(listEvents, async (c) => c.json(await readEventPage(c.env, c.req.valid("query")), 200));

export const getEvent = createRoute({
  method: "get",
  path: "/api/events/{id}",
  operationId: "getEvent",
  tags: ["Events"],
  summary: "Get one event",
  description: "The event with its payload: parsed JSON, or the raw text when the body was not JSON.",
  request: { params: EventIdParam },
  responses: { 200: jsonAnswer(EventDetail, "The event."), ...errorAnswers([400, 401, 404]) },
});

eventRoutes.openapi(getEvent, async (c) =>
  c.json(foundOr404(await readEvent(c.env.DB, c.req.valid("param").id), "no event with this id"), 200),
);

export const replayEventRoute = createRoute({
  method: "post",
  path: "/api/events/{id}/replay",
  operationId: "replayEvent",
  tags: ["Events"],
  summary: "Replay an event's follow-up",
  description:
    "Sets the event back to `received` and enqueues its follow-up again (fetches the order anew). Needs an admin token.",
  ...adminAccess,
  request: { params: EventIdParam },
  responses: {
    202: jsonAnswer(ReplayAccepted, "Follow-up enqueued."),
    ...errorAnswers([400, 401, 403, 404, 409], {
      409: "The event is `invalid` (not a usable push) or a self-test push of the doctor: there is nothing to follow up.",
    }),
  },
});

eventRoutes.openapi(replayEventRoute, async (c) => {
  const replayed = await replayEvent(c.env, c.req.valid("param").id);
  if (!replayed) throw new HttpError(404, "not_found", "no event with this id");
  if (!replayed.enqueued) {
    const what = replayed.previousStatus === "invalid" ? "an invalid push" : "a self-test push";
    throw new HttpError(409, "not_replayable", `${what} has no follow-up to replay`);
  }
  if (replayed.delivery === "scheduled") {
    const note = "the queue refused the message; the sweeper will enqueue it within SWEEP_AFTER_SECONDS";
    return c.json({ event_id: replayed.eventId, status: "scheduled" as const, note }, 202);
  }
  return c.json({ event_id: replayed.eventId, status: "queued" as const }, 202);
});
