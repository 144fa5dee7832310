/**
 * Forwarding's deliveries: the list (by status, by event, newest first) and an admin's retry of a
 * delivery that ended `failed`. The list answers whatever is stored, also while forwarding is off
 * (`forwarding` says which); a retry then has nowhere to go and is refused with 409.
 */
import { createRoute } from "@hono/zod-openapi";
import { z } from "zod";
import { readConfig } from "../../config";
import { HttpError } from "../../errors";
import { liveForwardDeps } from "../../forward/deps";
import { retryDelivery } from "../../forward/enqueue";
import { ID_PATTERN } from "../../lib/ids";
import { DELIVERY_STATUSES, listDeliveries } from "../../store/deliveries";
import { decodeCursor, encodeCursor } from "../event-query";
import { adminAccess, apiRouter, errorAnswers, firstOfRepeated, jsonAnswer } from "../route-kit";

const id = (description: string) =>
  z.string().regex(ID_PATTERN, "not an id (26 characters, Crockford base32)").meta({ description });

export const ListDeliveriesQuery = z
  .object({
    status: z.enum(DELIVERY_STATUSES).meta({ description: "Delivery status." }).optional(),
    event_id: id("Only the deliveries of this event.").optional(),
    limit: z.coerce.number().int().min(1).max(200).default(50).meta({ description: "Page size, 1 to 200." }),
    cursor: z
      .string()
      .transform((text, ctx) => {
        const last = decodeCursor(text);
        if (last === null) ctx.addIssue({ code: "custom", message: "not a cursor returned as next_cursor" });
        return last ?? z.NEVER;
      })
      .meta({ description: "The `next_cursor` of the previous page." })
      .optional(),
  })
  .strict();

export const Delivery = z
  .object({
    id: z.string().meta({ description: "Also the `webhook-id` header of every attempt." }),
    event_id: z.string(),
    status: z.enum(DELIVERY_STATUSES),
    attempts: z.int(),
    last_status_code: z.int().nullable().meta({ description: "null after a network error or timeout." }),
    last_error: z.string().nullable(),
    next_attempt_at: z.int().nullable().meta({ description: "ms; null once delivered or failed." }),
    last_attempt_at: z.int().nullable(),
    retry_until: z.int().meta({ description: "ms; no attempt is scheduled after it." }),
    delivered_at: z.int().nullable(),
    created_at: z.int().meta({ description: "ms; when the event settled." }),
  })
  .meta({ id: "Delivery" });

export const DeliveryPage = z
  .object({
    deliveries: z.array(Delivery).meta({ description: "Newest first." }),
    next_cursor: z.string().nullable(),
    forwarding: z.enum(["on", "off"]).meta({ description: "Whether FORWARD_URL is set and usable now." }),
  })
  .meta({ id: "DeliveryPage" });

const DeliveryIdParam = z.object({ id: id("Delivery id (the webhook-id).") });

export const deliveryRoutes = apiRouter();

export const listDeliveriesRoute = createRoute({
  method: "get",
  path: "/api/deliveries",
  operationId: "listDeliveries",
  tags: ["Forwarding"],
  summary: "List deliveries",
  description: "Deliveries of settled events to FORWARD_URL, newest first. Filters combine with AND.",
  request: { query: firstOfRepeated(ListDeliveriesQuery) },
  responses: { 200: jsonAnswer(DeliveryPage, "A page of deliveries."), ...errorAnswers([400, 401]) },
});

deliveryRoutes.openapi(listDeliveriesRoute, async (c) => {
  const query = c.req.valid("query");
  const page = await listDeliveries(c.env.DB, query);
  return c.json(
    {
      deliveries: page.deliveries.map(({ settlement: _settlement, ...delivery }) => delivery),
      next_cursor: page.next_cursor === null ? null : encodeCursor(page.next_cursor),
      forwarding: readConfig(c.env).forward.destination ? ("on" as const) : ("off" as const),
    },
    200,
  );
});

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
    202: jsonAnswer(z.object({ delivery_id: z.string(), status: z.literal("queued") }), "Attempt queued."),
    ...errorAnswers([400, 401, 403, 404, 409], {
      409: "The delivery is not `failed` (`not_failed`), or forwarding is off (`forwarding_off`).",
    }),
  },
});

deliveryRoutes.openapi(retryDeliveryRoute, async (c) => {
  const deliveryId = c.req.valid("param").id;
  const outcome = await retryDelivery(liveForwardDeps(c.env), deliveryId);
  if (outcome.kind === "off") throw new HttpError(409, "forwarding_off", "FORWARD_URL is not set or not usable");
  if (outcome.kind === "not_found") throw new HttpError(404, "not_found", "no delivery with this id");
  if (outcome.kind === "not_failed") {
    throw new HttpError(409, "not_failed", `the delivery is ${outcome.status}; only a failed one can be retried`);
  }
  return c.json({ delivery_id: deliveryId, status: "queued" as const }, 202);
});
