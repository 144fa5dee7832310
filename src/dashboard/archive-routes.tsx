/** The archive page, and one archived object downloaded through the viewer's session. */
import { Hono } from "hono";
import { checkArchiveKey } from "../archive/key";
import { archiveObjectAnswer, clientAcceptEncoding } from "../read-model/archive";
import { readArchiveOverview } from "../read-model/archive-overview";
import { ArchivePage } from "./archive";
import { type DashboardEnv, render, showMessage } from "./kit";

export const archiveRoutes = new Hono<DashboardEnv>();

archiveRoutes.get("/dashboard/archive", async (c) => {
  const asked = c.req.query("day") ?? "";
  const day = /^\d{4}-\d{2}-\d{2}$/.test(asked) && Number.isFinite(Date.parse(asked)) ? asked : null;
  const overview = await readArchiveOverview(c.env, Date.now(), day);
  return render(c, <ArchivePage viewer={c.get("viewer")} overview={overview} />);
});

/** One archived object as NDJSON, through the viewer's session (the API wants a bearer token). */
archiveRoutes.get("/dashboard/archive/objects/:key", async (c) => {
  const key = c.req.param("key");
  const answer =
    checkArchiveKey(key).kind === "archive"
      ? await archiveObjectAnswer(c.env, key, clientAcceptEncoding(c.req.raw))
      : null;
  return answer ?? showMessage(c, 404, "No such object", "Nothing is archived under this key.");
});
