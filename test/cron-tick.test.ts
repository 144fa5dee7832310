/** The cron's tick: every run records when it started, before and whatever its other jobs do. */
import { createScheduledController } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { runScheduled } from "../src/cron/scheduled";
import { readCronTick } from "../src/store/cron-tick";

function runCron(scheduledTime: number, on: Env = env) {
  return runScheduled(createScheduledController({ scheduledTime, cron: "* * * * *" }), on);
}

describe("the cron's tick", () => {
  it("is recorded by every run: when it started and the time it was scheduled for", async () => {
    const scheduled = Date.now() - 5_000;
    const before = Date.now();
    await runCron(scheduled);
    const tick = await readCronTick(env.DB);
    expect(tick?.scheduledTime).toBe(scheduled);
    expect(tick?.tickedAt).toBeGreaterThanOrEqual(before);
    expect(tick?.tickedAt).toBeLessThanOrEqual(Date.now());
    await runCron(scheduled + 60_000);
    expect((await readCronTick(env.DB))?.scheduledTime).toBe(scheduled + 60_000);
    expect(await env.DB.prepare("SELECT COUNT(*) AS n FROM cron_tick").first()).toEqual({ n: 1 });
  });

  it("is recorded even when the run's other jobs fail", async () => {
    // An unusable follow-up setting breaks the jobs that read it (the sweeper): the run fails.
    const broken = { ...env, SWEEP_AFTER_SECONDS: "not a number" } as Env;
    const scheduled = Date.now() + 3_600_000;
    await expect(runCron(scheduled, broken)).rejects.toThrow();
    expect((await readCronTick(env.DB))?.scheduledTime).toBe(scheduled);
  });
});
