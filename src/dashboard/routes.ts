/** Dashboard (issue 4). Placeholder until the dashboard lands: mounts nothing yet. */
import { Hono } from "hono";

export const dashboardRoutes = new Hono<{ Bindings: Env }>();
