/** GET /api/doctor (admin): is this deployment set up and working? The checklist `npm run doctor` prints. */
import { createRoute } from "@hono/zod-openapi";
import { DoctorReport, runDoctor } from "../../doctor/report";
import { adminAccess, apiRouter, errorAnswers, jsonAnswer } from "../route-kit";

export const doctorRoutes = apiRouter();

export const getDoctor = createRoute({
  method: "get",
  path: "/api/doctor",
  operationId: "getDoctor",
  tags: ["Service"],
  summary: "Check the deployment",
  description:
    "Runs the checks config, d1, queues, durable_objects, omisell (one call through the rate limiter), cron, destinations and pushes, side by side, each within its own time bound, and answers each one's finding and, when it failed, its fix. 200 when all pass, 503 when one fails. Setting names only, never a value. Needs an admin token.",
  ...adminAccess,
  responses: {
    200: jsonAnswer(DoctorReport, "Every check passed."),
    503: jsonAnswer(DoctorReport, "At least one check failed; each failed one says its fix."),
    ...errorAnswers([401, 403]),
  },
});

doctorRoutes.openapi(getDoctor, async (c) => {
  const report = await runDoctor(c.env, { requestUrl: c.req.url, now: Date.now() });
  return report.ok ? c.json(report, 200) : c.json(report, 503);
});
