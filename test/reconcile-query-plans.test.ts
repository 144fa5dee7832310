/**
 * Reconciliation's reads and the pipeline health reads are answered from an index or a
 * primary-key range: the test asks SQLite for each statement's plan and fails on a scan of
 * `events` or `reconcile_runs` that uses no index, or on sorting every row.
 */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { encodeIdTime } from "../src/lib/ids";
import { PIPELINE_HEALTH_SQL } from "../src/store/pipeline-health";
import { RECONCILE_SQL } from "../src/store/reconcile";

type PlanRow = { detail: string };

async function planOf(sql: string, params: (string | number)[]): Promise<string[]> {
  const { results } = await env.DB.prepare(`EXPLAIN QUERY PLAN ${sql}`)
    .bind(...params)
    .all<PlanRow>();
  return results.map((row) => row.detail);
}

/** `SCAN events` or `SCAN reconcile_runs` (aliased or not) with no index named after it. */
function fullScans(plan: string[]): string[] {
  return plan.filter(
    (step) => /^SCAN (events|reconcile_runs)\b/.test(step) && !/USING (COVERING )?INDEX|USING .*PRIMARY KEY/.test(step),
  );
}

const PARAMS: Record<string, (string | number)[]> = {
  latestPush: [JSON.stringify(["OM1", "OM2"])],
  listRuns: ["~", 50],
  sumCronRuns: [encodeIdTime(Date.now() - 86_400_000)],
  abandonedRuns: [encodeIdTime(Date.now() - 3_600_000)],
  runningManualRuns: [5],
  lastPush: [encodeIdTime(Date.now() - 7_200_000)],
  lastMissed: ["reconcile.order_changed"],
  coverage: [encodeIdTime(Date.now() - 86_400_000)],
};

describe("query plans", () => {
  it.each([...Object.entries(RECONCILE_SQL), ...Object.entries(PIPELINE_HEALTH_SQL)])(
    "%s reads an index or a key range",
    async (name, sql) => {
      const plan = await planOf(sql, PARAMS[name] ?? []);
      expect(fullScans(plan), plan.join(" | ")).toEqual([]);
      expect(plan.join(" | "), "sorting every row").not.toContain("TEMP B-TREE");
    },
  );

  it("the latest push per order walks events_by_order", async () => {
    const plan = await planOf(RECONCILE_SQL.latestPush, PARAMS.latestPush ?? []);
    expect(plan.join(" | ")).toContain("events_by_order");
  });

  it("the check itself catches a full scan of reconcile_runs", async () => {
    const plan = await planOf("SELECT id FROM reconcile_runs NOT INDEXED WHERE error = ?1", ["x"]);
    expect(fullScans(plan), plan.join(" | ")).not.toEqual([]);
  });
});
