import { describe, expect, it } from "vitest";
import { encodeIdTime } from "../src/lib/ids";
import { PIPELINE_HEALTH_SQL } from "../src/store/pipeline-health";
import { RECONCILE_SQL } from "../src/store/reconcile";
import { GAP_SQL } from "../src/store/reconcile-progress";
import { fullScans, planOf } from "./helpers/query-plan";

/** `SCAN events` or `SCAN reconcile_runs` with no index or primary-key range named after it. */
const scansOf = (plan: string[]) =>
  fullScans(plan, ["events", "reconcile_runs"], /USING (COVERING )?INDEX|USING .*PRIMARY KEY/);

const PARAMS: Record<string, (string | number)[]> = {
  latestPush: [JSON.stringify(["OM1", "OM2"])],
  listRuns: ["~", 50],
  sumRuns: [encodeIdTime(Date.now() - 86_400_000)],
  abandonedRuns: [encodeIdTime(Date.now() - 3_600_000)],
  runningManualRuns: [5],
  lastPush: [encodeIdTime(Date.now() - 7_200_000)],
  lastMissed: ["reconcile.order_changed"],
  coverage: [encodeIdTime(Date.now() - 86_400_000)],
  freshness: [Date.now() - 3_600_000],
  failures: [Date.now() - 3_600_000],
  openWithin: [Date.now() - 86_400_000, Date.now()],
};

describe("query plans", () => {
  it.each([...Object.entries(RECONCILE_SQL), ...Object.entries(PIPELINE_HEALTH_SQL), ...Object.entries(GAP_SQL)])(
    "%s reads an index or a key range",
    async (name, sql) => {
      const plan = await planOf(sql, PARAMS[name] ?? []);
      expect(scansOf(plan), plan.join(" | ")).toEqual([]);
      expect(plan.join(" | "), "sorting every row").not.toContain("TEMP B-TREE");
    },
  );

  it("the open gaps are read down their partial index", async () => {
    expect((await planOf(PIPELINE_HEALTH_SQL.openGaps)).join(" | ")).toContain("reconcile_gaps_open");
    expect((await planOf(GAP_SQL.openWithin, PARAMS.openWithin)).join(" | ")).toContain("reconcile_gaps_open");
  });

  it("the latest push per order walks events_by_order", async () => {
    const plan = await planOf(RECONCILE_SQL.latestPush, PARAMS.latestPush ?? []);
    expect(plan.join(" | ")).toContain("events_by_order");
  });

  it("the check itself catches a full scan of reconcile_runs", async () => {
    const plan = await planOf("SELECT id FROM reconcile_runs NOT INDEXED WHERE error = ?1", ["x"]);
    expect(scansOf(plan), plan.join(" | ")).not.toEqual([]);
  });
});
