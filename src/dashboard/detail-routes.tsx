/** One event (with an admin's replay of its follow-up) and one order. */
import { Hono } from "hono";
import { replayEvent } from "../followup/replay";
import { readEventDeliveries } from "../read-model/deliveries";
import { readEvent, readOrder } from "../read-model/event-reads";
import { EventIdParam, OrderNumberParam } from "../read-model/event-shapes";
import { EventPage, OrderPage } from "./detail-pages";
import { type DashboardEnv, noSuchEvent, refuseUnlessAdminPost, render, showMessage } from "./kit";

export const detailRoutes = new Hono<DashboardEnv>();

detailRoutes.get("/dashboard/events/:id", async (c) => {
  const viewer = c.get("viewer");
  const id = EventIdParam.safeParse(c.req.param());
  const event = id.success ? await readEvent(c.env.DB, id.data.id) : null;
  if (!event) return noSuchEvent(c);
  const flash = c.req.query("replayed") === "1" ? "Replay queued: the order will be fetched again." : undefined;
  const deliveries = await readEventDeliveries(c.env.DB, event.id);
  return render(c, <EventPage viewer={viewer} event={event} flash={flash} deliveries={deliveries} />);
});

detailRoutes.post("/dashboard/events/:id/replay", async (c) => {
  const refusal = await refuseUnlessAdminPost(c, "Not replayed", "Replaying");
  if (refusal) return refusal;
  const id = EventIdParam.safeParse(c.req.param());
  const replayed = id.success ? await replayEvent(c.env, id.data.id) : null;
  if (!replayed) return noSuchEvent(c);
  // Like the API's 409: an invalid or self-test push was never followed up, so there is nothing to replay.
  if (!replayed.enqueued) {
    const what = replayed.previousStatus === "invalid" ? "An invalid push" : "A self-test push";
    return showMessage(c, 409, "Not replayed", `${what} has no follow-up.`);
  }
  return c.redirect(`/dashboard/events/${replayed.eventId}?replayed=1`, 303);
});

detailRoutes.get("/dashboard/orders/:omisell_order_number", async (c) => {
  const viewer = c.get("viewer");
  const number = OrderNumberParam.safeParse(c.req.param());
  const order = number.success ? await readOrder(c.env.DB, number.data.omisell_order_number) : null;
  if (!order) return showMessage(c, 404, "No such order", "No snapshot and no event for this order number.");
  return render(c, <OrderPage viewer={viewer} order={order} />);
});
