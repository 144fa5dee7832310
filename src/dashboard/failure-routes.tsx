/** The Failures page, replaying a failure group or every failed event (admin), and a replay's progress. */
import { Hono } from "hono";
import { startGroupReplay, startReplay } from "../followup/bulk-replay";
import { readFailures } from "../read-model/failures";
import { ReplayIdParam, readReplayProgress } from "../read-model/replays";
import { FailuresPage } from "./failures";
import { readForm } from "./form";
import { type DashboardEnv, refuseUnlessAdminPost, render, showMessage } from "./kit";
import { ReplayPage } from "./replay-pages";

export const failureRoutes = new Hono<DashboardEnv>();

failureRoutes.get("/dashboard/failures", async (c) => {
  const failures = await readFailures(c.env.DB);
  return render(c, <FailuresPage viewer={c.get("viewer")} failures={failures} now={Date.now()} />);
});

/** "Replay this group": exactly the group's failed events, as one bulk replay (its chunks, its priority). */
failureRoutes.post("/dashboard/failures/replay", async (c) => {
  const refusal = await refuseUnlessAdminPost(c, "Not replayed", "Replaying");
  if (refusal) return refusal;
  const group = (await readForm(c.req.raw)).group;
  const started = typeof group === "string" ? await startGroupReplay(c.env, group, Date.now()) : null;
  if (!started) {
    return showMessage(
      c,
      409,
      "Not replayed",
      "No recent failure is in this group any more: reload the Failures page.",
    );
  }
  return c.redirect(`/dashboard/replays/${started.replayId}`, 303);
});

/** "Replay all failed events": every failed event, as one bulk replay. */
failureRoutes.post("/dashboard/replays", async (c) => {
  const refusal = await refuseUnlessAdminPost(c, "Not replayed", "Replaying");
  if (refusal) return refusal;
  const started = await startReplay(c.env, { status: "failed" }, Date.now());
  return c.redirect(`/dashboard/replays/${started.replayId}`, 303);
});

failureRoutes.get("/dashboard/replays/:id", async (c) => {
  const id = ReplayIdParam.safeParse({ replay_id: c.req.param("id") });
  const progress = id.success ? await readReplayProgress(c.env.DB, id.data.replay_id) : null;
  if (!progress) return showMessage(c, 404, "No such replay", "There is no replay with this id.");
  return render(c, <ReplayPage viewer={c.get("viewer")} progress={progress} />);
});
