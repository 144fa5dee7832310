/** What the health checks show: whether D1 answers (/health), and whether the pipeline keeps up. */
import { z } from "zod";
import { PIPELINE_REASONS, type PipelineHealth, pipelineHealthNow } from "../health/pipeline";
import { pingDatabase } from "../store/health";

/** /health's answer while D1 answers. */
export const Health = z.object({ status: z.literal("ok") }).meta({ id: "Health" });

/** Whether D1 answers a trivial query. */
export async function isDatabaseReachable(db: D1Database): Promise<boolean> {
  try {
    await pingDatabase(db);
    return true;
  } catch {
    return false;
  }
}

/** `ok`, or `degraded` with the reasons; never a figure (the answer is public). */
export const PipelineHealthView = z
  .object({
    status: z.enum(["ok", "degraded"]),
    reasons: z
      .array(z.enum(PIPELINE_REASONS))
      .optional()
      .meta({ description: "Present when degraded: what is wrong (README, health check)." }),
  })
  .meta({ id: "PipelineHealth" });

/**
 * The pipeline's health at `now`. Deliveries count only for destinations meant to deliver now, so
 * the failures of a paused or deleted destination, or of FORWARD_URL's while it is unset, do not.
 */
export async function readPipelineHealth(env: Env, now: number): Promise<PipelineHealth> {
  return pipelineHealthNow(env, now);
}
