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
    reconcile_gaps: z
      .array(z.object({ from: z.iso.datetime(), to: z.iso.datetime() }))
      .optional()
      .meta({
        description:
          "With reconcile_gap: the windows (UTC, inclusive) reconciliation gave up on, oldest first, at most 5. POST /api/reconcile over a window lists it and clears the gap.",
      }),
  })
  .meta({ id: "PipelineHealth" });
export type PipelineHealthView = z.infer<typeof PipelineHealthView>;

const iso = (ms: number) => new Date(ms).toISOString();

/** The answer of /health/pipeline from the evaluation: reasons, and the gaps' bounds as UTC times. */
export function toPipelineHealthView(health: PipelineHealth): PipelineHealthView {
  if (health.status === "ok") return { status: "ok" };
  const gaps = health.reconcileGaps ?? [];
  return {
    status: "degraded",
    reasons: health.reasons,
    ...(gaps.length > 0 ? { reconcile_gaps: gaps.map((gap) => ({ from: iso(gap.from), to: iso(gap.to) })) } : {}),
  };
}

/**
 * The pipeline's health at `now`. Deliveries count only for destinations meant to deliver now, so
 * the failures of a paused or deleted destination, or of FORWARD_URL's while it is unset, do not.
 */
export async function readPipelineHealth(env: Env, now: number): Promise<PipelineHealthView> {
  return toPipelineHealthView(await pipelineHealthNow(env, now));
}
