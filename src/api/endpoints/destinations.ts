/**
 * Destinations (admin writes, read token may read): list, create, one, change, delete. The
 * secret is answered only on creation; the default destination (FORWARD_URL) is shown, never changed here.
 */
import { createRoute } from "@hono/zod-openapi";
import type { Context } from "hono";
import { readConfig } from "../../config";
import { liveForwardDeps } from "../../forward/deps";
import { DestinationCreate, DestinationPatch } from "../../forward/destination-input";
import { type AdminDeps, changeDestination, createDestination, remove } from "../../forward/destinations";
import {
  DestinationIdParam,
  DestinationList,
  Destination as DestinationView,
  destinationView,
  readDestination,
  readDestinations,
} from "../../read-model/destinations";
import { readDestinationRow } from "../../store/destinations";
import { DestinationChanged, DestinationCreated, DestinationDeleted } from "../destination-schemas";
import { type ApiEnv, adminAccess, apiRouter, errorAnswers, foundOr404, jsonAnswer } from "../route-kit";

export const destinationRoutes = apiRouter();

/** The deps of an admin action: forwarding's, and whether plain http may be used anywhere. */
export function adminDeps(env: Env): AdminDeps {
  return { ...liveForwardDeps(env), allowHttp: readConfig(env).destinations.allowHttp };
}

const jsonBody = <S>(schema: S) => ({ required: true, content: { "application/json": { schema } } });
const CONFIG_MANAGED = "`config_managed`: the default destination follows FORWARD_URL and FORWARD_SECRET.";

/** The view of a row an action returned (the default one is always shown to its actions). */
export async function shown(c: Context<ApiEnv>, row: Parameters<typeof destinationView>[1]) {
  return foundOr404(await destinationView(c.env, row, Date.now()), "no destination with this id");
}

export const listDestinationsRoute = createRoute({
  method: "get",
  path: "/api/destinations",
  operationId: "listDestinations",
  tags: ["Destinations"],
  summary: "List destinations",
  description:
    "Every destination with its health (deliveries delivered and attempts failed in 24 h, last error, lag in `seq`). The default one (FORWARD_URL) is listed while FORWARD_URL is set. Never a secret.",
  responses: { 200: jsonAnswer(DestinationList, "The destinations."), ...errorAnswers([401]) },
});

destinationRoutes.openapi(listDestinationsRoute, async (c) =>
  c.json({ destinations: await readDestinations(c.env, Date.now()) }, 200),
);

export const createDestinationRoute = createRoute({
  method: "post",
  path: "/api/destinations",
  operationId: "createDestination",
  tags: ["Destinations"],
  summary: "Create a destination",
  description:
    "A URL that receives settled events from now on (or after `start`), with its own filter, format, rate cap and Standard Webhooks secret. The secret is in this answer only. Needs an admin token.",
  ...adminAccess,
  request: { body: jsonBody(DestinationCreate) },
  responses: {
    201: jsonAnswer(DestinationCreated, "Created; keep the secret."),
    ...errorAnswers([400, 401, 403], {
      400: "A field is invalid (`url`, an unknown filter key, …); `fields` names it.",
    }),
  },
});

destinationRoutes.openapi(createDestinationRoute, async (c) => {
  const created = await createDestination(adminDeps(c.env), c.req.valid("json"));
  const destination = await shown(c, created.row);
  const warnings = created.warnings.length > 0 ? { warnings: created.warnings } : {};
  return c.json({ destination, secret: created.secret, ...warnings }, 201);
});

export const getDestinationRoute = createRoute({
  method: "get",
  path: "/api/destinations/{id}",
  operationId: "getDestination",
  tags: ["Destinations"],
  summary: "One destination",
  request: { params: DestinationIdParam },
  responses: { 200: jsonAnswer(DestinationView, "The destination."), ...errorAnswers([400, 401, 404]) },
});

destinationRoutes.openapi(getDestinationRoute, async (c) => {
  const found = await readDestination(c.env, c.req.valid("param").id, Date.now());
  return c.json(foundOr404(found, "no destination with this id"), 200);
});

export const changeDestinationRoute = createRoute({
  method: "patch",
  path: "/api/destinations/{id}",
  operationId: "changeDestination",
  tags: ["Destinations"],
  summary: "Change a destination",
  description:
    "Takes the fields of the creation, each optional; `start` moves its cursor (`now`, or a `seq` to send the history after). Needs an admin token.",
  ...adminAccess,
  request: { params: DestinationIdParam, body: jsonBody(DestinationPatch) },
  responses: {
    200: jsonAnswer(DestinationChanged, "The destination as it is now."),
    ...errorAnswers([400, 401, 403, 404, 409], { 409: CONFIG_MANAGED }),
  },
});

destinationRoutes.openapi(changeDestinationRoute, async (c) => {
  const changed = await changeDestination(adminDeps(c.env), c.req.valid("param").id, c.req.valid("json"));
  const destination = await shown(c, changed.row);
  return c.json({ ...destination, ...(changed.warnings.length > 0 ? { warnings: changed.warnings } : {}) }, 200);
});

export const deleteDestinationRoute = createRoute({
  method: "delete",
  path: "/api/destinations/{id}",
  operationId: "deleteDestination",
  tags: ["Destinations"],
  summary: "Delete a destination",
  description:
    "Removes it and cancels its pending deliveries (its delivered and failed ones stay listed). Needs an admin token.",
  ...adminAccess,
  request: { params: DestinationIdParam },
  responses: {
    200: jsonAnswer(DestinationDeleted, "Deleted; the destination as it was."),
    ...errorAnswers([400, 401, 403, 404, 409], { 409: CONFIG_MANAGED }),
  },
});

destinationRoutes.openapi(deleteDestinationRoute, async (c) => {
  const id = c.req.valid("param").id;
  const deps = adminDeps(c.env);
  const before = await readDestinationRow(c.env.DB, id);
  const { cancelled } = await remove(deps, id);
  const destination = foundOr404(
    before && (await destinationView(c.env, before, Date.now())),
    "no destination with this id",
  );
  return c.json({ destination, cancelled }, 200);
});
