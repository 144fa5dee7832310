/** What an admin does to one destination: pause, resume, rotate its secret, test it, retry its failed deliveries. */
import { createRoute } from "@hono/zod-openapi";
import { pause, resume, retryFailed, rotateSecret, testDestination } from "../../forward/destinations";
import { DestinationIdParam, Destination as DestinationView } from "../../read-model/destinations";
import { DestinationTested, FailedRetried, SecretRotated } from "../destination-schemas";
import { adminAccess, apiRouter, errorAnswers, jsonAnswer } from "../route-kit";
import { adminDeps, shown } from "./destinations";

export const destinationActionRoutes = apiRouter();

const action = (path: string, operationId: string, summary: string, description: string) => ({
  method: "post" as const,
  path: `/api/destinations/{id}/${path}`,
  operationId,
  tags: ["Destinations"],
  summary,
  description: `${description} Needs an admin token.`,
  ...adminAccess,
  request: { params: DestinationIdParam },
});

export const pauseDestinationRoute = createRoute({
  ...action(
    "pause",
    "pauseDestination",
    "Pause a destination",
    "Stops its walk and attempts; its cursor stays, its deliveries wait, nothing is skipped.",
  ),
  responses: { 200: jsonAnswer(DestinationView, "The destination, paused."), ...errorAnswers([400, 401, 403, 404]) },
});

destinationActionRoutes.openapi(pauseDestinationRoute, async (c) =>
  c.json(await shown(c, await pause(adminDeps(c.env), c.req.valid("param").id)), 200),
);

export const resumeDestinationRoute = createRoute({
  ...action(
    "resume",
    "resumeDestination",
    "Resume a destination",
    "Active again from its cursor (also after it was disabled for failing): its waiting deliveries go out, then everything settled since.",
  ),
  responses: { 200: jsonAnswer(DestinationView, "The destination, active."), ...errorAnswers([400, 401, 403, 404]) },
});

destinationActionRoutes.openapi(resumeDestinationRoute, async (c) =>
  c.json(await shown(c, await resume(adminDeps(c.env), c.req.valid("param").id)), 200),
);

export const rotateSecretRoute = createRoute({
  ...action(
    "rotate-secret",
    "rotateDestinationSecret",
    "Rotate a destination's secret",
    "A new secret, answered only here; the previous one stays valid for 24 hours, and both signatures are sent meanwhile.",
  ),
  responses: {
    200: jsonAnswer(SecretRotated, "The new secret."),
    ...errorAnswers([400, 401, 403, 404, 409], {
      409: "`config_managed`: the default destination's secret is FORWARD_SECRET.",
    }),
  },
});

destinationActionRoutes.openapi(rotateSecretRoute, async (c) => {
  const rotated = await rotateSecret(adminDeps(c.env), c.req.valid("param").id);
  return c.json({ secret: rotated.secret, previous_secret_valid_until: rotated.previousUntil }, 200);
});

export const testDestinationRoute = createRoute({
  ...action(
    "test",
    "testDestination",
    "Send a test message",
    "Sends one `omisell_push.test` message now, signed like a delivery, and says how it went. Counts no attempt.",
  ),
  responses: { 200: jsonAnswer(DestinationTested, "How the test went."), ...errorAnswers([400, 401, 403, 404]) },
});

destinationActionRoutes.openapi(testDestinationRoute, async (c) =>
  c.json(await testDestination(adminDeps(c.env), c.req.valid("param").id), 200),
);

export const retryFailedRoute = createRoute({
  ...action(
    "retry-failed",
    "retryFailedDeliveries",
    "Retry every failed delivery",
    "Puts every `failed` delivery of the destination back to `pending`, tried again at once and for another 3 days.",
  ),
  responses: { 202: jsonAnswer(FailedRetried, "Queued."), ...errorAnswers([400, 401, 403, 404]) },
});

destinationActionRoutes.openapi(retryFailedRoute, async (c) =>
  c.json(await retryFailed(adminDeps(c.env), c.req.valid("param").id), 202),
);
