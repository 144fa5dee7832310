/**
 * Forwarding's deliveries: the list (by status, by event, newest first) and an admin's retry of a
 * delivery that ended `failed`.
 */
import { createRoute } from "@hono/zod-openapi";
import { HttpError } from "../../errors";
import { liveForwardDeps } from "../../forward/deps";
import { retryDelivery } from "../../forward/retries";
import { DeliveryIdParam, DeliveryPage, ListDeliveriesQuery, readDeliveryPage } from "../../read-model/deliveries";
import { adminAccess, apiRouter, errorAnswers, firstOfRepeated, jsonAnswer } from "../route-kit";
import { DeliveryRetryQueued } from "../schemas";

export const deliveryRoutes = apiRouter();

export const listDeliveriesRoute = createRoute({
  method: "get",
  path: "/api/deliveries",
  operationId: "listDeliveries",
  tags: ["Forwarding"],
  summary: "List deliveries",
  description:
    "Deliveries of settled events to the destinations, newest first, each with its destination's name. Filters combine with AND.",
  request: { query: firstOfRepeated(ListDeliveriesQuery) },
  responses: { 200: jsonAnswer(DeliveryPage, "A page of deliveries."), ...errorAnswers([400, 401]) },
});

deliveryRoutes.openapi(listDeliveriesRoute, async (c) =>
  c.json(await readDeliveryPage(c.env, c.req.valid("query")), 200),
);

export const retryDeliveryRoute = createRoute({
  method: "post",
  path: "/api/deliveries/{id}/retry",
  operationId: "retryDelivery",
  tags: ["Forwarding"],
  summary: "Retry a failed delivery",
  description:
    "Puts a `failed` delivery back to `pending` and attempts it at once, for another 3 days; attempts and the last error are kept. Needs an admin token.",
  ...adminAccess,
  request: { params: DeliveryIdParam },
  responses: {
    202: jsonAnswer(DeliveryRetryQueued, "Attempt queued."),
    ...errorAnswers([400, 401, 403, 404, 409], {
      409: "The delivery is not `failed` (`not_failed`), or its destination cannot deliver (`forwarding_off`: FORWARD_URL unset, or deleted).",
    }),
  },
});

// A delivery whose destination is gone (or FORWARD_URL's, unset) has nowhere to go: 409 `forwarding_off`.
deliveryRoutes.openapi(retryDeliveryRoute, async (c) => {
  const deliveryId = c.req.valid("param").id;
  const outcome = await retryDelivery(liveForwardDeps(c.env), deliveryId);
  if (outcome.kind === "off") {
    throw new HttpError(409, "forwarding_off", "its destination is gone, or is FORWARD_URL's while that is unset");
  }
  if (outcome.kind === "not_found") throw new HttpError(404, "not_found", "no delivery with this id");
  if (outcome.kind === "not_failed") {
    throw new HttpError(409, "not_failed", `the delivery is ${outcome.status}; only a failed one can be retried`);
  }
  return c.json({ delivery_id: deliveryId, status: "queued" as const }, 202);
});
