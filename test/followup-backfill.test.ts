/**
 * The detail backfill: orders settled from the order list get their detail fetched again, later
 * and at the lowest priority, never taking a slot a push follow-up needs.
 */
import { createScheduledController } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { readConfig } from "../src/config";
import { runScheduled } from "../src/cron/scheduled";
import { type BackfillDeps, backfillAfterMs, backfillDetails, liveBackfillDeps } from "../src/followup/backfill";
import { fail, ok } from "../src/lib/result";
import { budgetOf, limiterName } from "../src/omisell/limiter-handle";
import { getSnapshot } from "../src/store/resources";
import { newOrderNumber, orderAnswer, stubOmisell } from "./helpers/followup";
import { storeOrderSnapshot } from "./helpers/read-api";

const TARGET_MS = 120_000;
const AFTER = backfillAfterMs(TARGET_MS);

beforeEach(async () => {
  await env.DB.prepare("UPDATE resources SET summary_at = NULL").run();
});
afterEach(() => {
  vi.restoreAllMocks();
});

/** An order whose detail was fetched at `fetchedAt` and summarized from a listing at `summaryAt`. */
async function summarized(fetchedAt: number, summaryAt: number) {
  const orderNumber = newOrderNumber();
  await storeOrderSnapshot(orderNumber, { statusName: "Ready To Ship", fetchedAt });
  await env.DB.prepare("UPDATE resources SET summary = '{}', summary_at = ?2 WHERE id = ?1")
    .bind(orderNumber, summaryAt)
    .run();
  return orderNumber;
}

function deps(answer: (order: string) => ReturnType<BackfillDeps["fetchDetail"]>) {
  const fetched: string[] = [];
  const steps: BackfillDeps = {
    config: readConfig(env),
    db: env.DB,
    fetchDetail: (order) => {
      fetched.push(order);
      return answer(order);
    },
    now: () => Date.now(),
  };
  return { steps, fetched };
}

const detail = (order: string) => Promise.resolve(ok({ omisell_order_number: order, status_name: "Shipped" }));

describe("the detail backfill", () => {
  it("fetches orders whose summary is newer than their detail, once the listing is old enough", async () => {
    const now = Date.now();
    const due = await summarized(now - AFTER - 60_000, now - AFTER - 1_000);
    const recent = await summarized(now - AFTER - 60_000, now - 1_000);
    const upToDate = await summarized(now - 1_000, now - AFTER - 60_000);
    const { steps, fetched } = deps(detail);

    expect(await backfillDetails(steps)).toEqual({ fetched: 1, due: 1 });

    expect(fetched).toEqual([due]);
    const stored = await getSnapshot(env.DB, "order", due);
    expect(stored?.status_name).toBe("Shipped");
    expect(stored?.fetched_at).toBeGreaterThan(stored?.summary_at ?? Number.POSITIVE_INFINITY);
    expect(fetched).not.toContain(recent);
    expect(fetched).not.toContain(upToDate);
    // Fetched: no longer due.
    expect(await backfillDetails(deps(detail).steps)).toEqual({ fetched: 0, due: 0 });
  });

  it("keeps the event that last stored the order's snapshot", async () => {
    const now = Date.now();
    const orderNumber = newOrderNumber();
    await storeOrderSnapshot(orderNumber, { statusName: "Ready", fetchedAt: now - AFTER - 60_000, lastEventId: "EV1" });
    await env.DB.prepare("UPDATE resources SET summary = '{}', summary_at = ?2 WHERE id = ?1")
      .bind(orderNumber, now - AFTER - 1_000)
      .run();

    await backfillDetails(deps(detail).steps);

    expect((await getSnapshot(env.DB, "order", orderNumber))?.last_event_id).toBe("EV1");
  });

  it("stops at the first refusal of the budget and leaves the rest due for the next run", async () => {
    const now = Date.now();
    for (let i = 0; i < 3; i++) await summarized(now - AFTER - 60_000, now - AFTER - 10_000 + i);
    const throttled = () => Promise.resolve(fail({ kind: "throttled" as const, error: "waiting for budget" }));
    const { steps, fetched } = deps(throttled);

    const outcome = await backfillDetails({
      ...steps,
      config: { ...steps.config, followup: { ...steps.config.followup, parallelism: 1 } },
    });

    expect(outcome).toEqual({ fetched: 0, due: 3 });
    expect(fetched).toHaveLength(1);
    expect((await backfillDetails(deps(detail).steps)).fetched).toBe(3);
  });

  it("runs in the minute cron", async () => {
    const now = Date.now();
    const due = await summarized(now - AFTER - 60_000, now - AFTER - 1_000);
    const { steps, fetched } = deps(detail);

    await runScheduled(createScheduledController({ scheduledTime: now, cron: "* * * * *" }), env, {
      backfillDeps: steps,
    }).catch(() => {});

    expect(fetched).toEqual([due]);
  });

  it("never takes a slot a push follow-up needs: refused without calling Omisell while pushes wait", async () => {
    const ownBudget = () =>
      ({
        ...env,
        OMISELL_ACCOUNT_KEY: `backfill-${crypto.randomUUID()}`,
        OMISELL_RATE_LIMIT: "8/600",
        OMISELL_BUDGET_SHARE: "1",
      }) as Env;
    const calls = stubOmisell(() => orderAnswer("OM1"));
    // With room in the bucket and no push waiting, the backfill goes.
    expect((await liveBackfillDeps(ownBudget()).fetchDetail("OM1", null)).ok).toBe(true);
    expect(calls).toHaveLength(1);

    const vars = ownBudget();
    const config = readConfig(vars).omisell;
    const limiter = env.OMISELL_LIMITER.get(env.OMISELL_LIMITER.idFromName(await limiterName(config, null)));
    // Push follow-ups take every slot, and one more is told to wait.
    for (let i = 0; i < 8; i++) await limiter.acquire("push", budgetOf(config));
    expect((await limiter.acquire("push", budgetOf(config))).go).toBe(false);
    // Omisell's header then says the bucket is empty again: there is room, but a push was waiting.
    for (let i = 0; i < 8; i++) await limiter.report({ used: 0, capacity: 8 }, budgetOf(config));

    const result = await liveBackfillDeps(vars).fetchDetail("OM1", null);

    expect(result.ok || result.reason.kind).toBe("throttled");
    expect(calls).toHaveLength(1);
    // A push still goes at once.
    expect((await limiter.acquire("push", budgetOf(config))).go).toBe(true);
  });
});
