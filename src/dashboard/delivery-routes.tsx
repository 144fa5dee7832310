/** The failing deliveries, and an admin's retry of a failed one (the API's action, from a form). */
import { Hono } from "hono";
import { liveForwardDeps } from "../forward/deps";
import { retryDelivery } from "../forward/retries";
import { DeliveryIdParam, readFailingDeliveries } from "../read-model/deliveries";
import { FailingDeliveriesPage } from "./deliveries";
import { type DashboardEnv, refuseUnlessAdminPost, render, showMessage } from "./kit";

export const deliveryRoutes = new Hono<DashboardEnv>();

deliveryRoutes.get("/dashboard/deliveries", async (c) => {
  const deliveries = await readFailingDeliveries(c.env);
  const flash = c.req.query("retried")
    ? "Retry queued: the delivery is attempted again now, and for 3 more days."
    : undefined;
  return render(c, <FailingDeliveriesPage viewer={c.get("viewer")} flash={flash} {...deliveries} />);
});

deliveryRoutes.post("/dashboard/deliveries/:id/retry", async (c) => {
  const refusal = await refuseUnlessAdminPost(c, "Not retried", "Retrying a delivery");
  if (refusal) return refusal;
  const id = DeliveryIdParam.safeParse(c.req.param());
  const outcome = id.success ? await retryDelivery(liveForwardDeps(c.env), id.data.id) : { kind: "not_found" as const };
  if (outcome.kind === "off")
    return showMessage(c, 409, "Not retried", "Its destination is gone, or is FORWARD_URL's while that is unset.");
  if (outcome.kind === "not_found")
    return showMessage(c, 404, "No such delivery", "There is no delivery with this id.");
  if (outcome.kind === "not_failed") {
    return showMessage(c, 409, "Not retried", `The delivery is ${outcome.status}; only a failed one can be retried.`);
  }
  return c.redirect(`/dashboard/deliveries?retried=${encodeURIComponent(id.data?.id ?? "")}`, 303);
});
