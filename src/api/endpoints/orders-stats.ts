/** An order with its timeline, and the stats figures: read-only views for any read token. */
import { createRoute } from "@hono/zod-openapi";
import { readOrder } from "../../read-model/event-reads";
import { OrderNumberParam, OrderView } from "../../read-model/event-shapes";
import { readStats, Stats } from "../../read-model/stats";
import { apiRouter, errorAnswers, foundOr404, jsonAnswer } from "../route-kit";

export const orderStatsRoutes = apiRouter();

export const getOrder = createRoute({
  method: "get",
  path: "/api/orders/{omisell_order_number}",
  operationId: "getOrder",
  tags: ["Orders"],
  summary: "Get an order and its timeline",
  description:
    "The latest snapshot fetched from Omisell (or null) and every stored event about the order, oldest first.",
  request: { params: OrderNumberParam },
  responses: { 200: jsonAnswer(OrderView, "The order."), ...errorAnswers([400, 401, 404]) },
});

orderStatsRoutes.openapi(getOrder, async (c) => {
  const order = await readOrder(c.env.DB, c.req.valid("param").omisell_order_number);
  return c.json(foundOr404(order, "no snapshot and no event for this order"), 200);
});

export const getStats = createRoute({
  method: "get",
  path: "/api/stats",
  operationId: "getStats",
  tags: ["Stats"],
  summary: "Stats",
  description: "Counts by status and event, backlog, failures, last received push, hourly counts of the last 24 hours.",
  responses: { 200: jsonAnswer(Stats, "The figures."), ...errorAnswers([401]) },
});

orderStatsRoutes.openapi(getStats, async (c) => c.json(await readStats(c.env.DB, Date.now()), 200));
