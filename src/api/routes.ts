/** Read API (issue 4). Placeholder until the read API lands: mounts nothing yet. */
import { Hono } from "hono";

export const apiRoutes = new Hono<{ Bindings: Env }>();
