/**
 * Phase 6 of the bench: EXPLAIN QUERY PLAN of the statements the worker runs, on the seeded
 * database, so "answered from an index" is checked, not assumed.
 */
import type { Bench } from "../bench.ts";
import { explainListQueries, type QueryPlan } from "../queries.ts";
import { table } from "../report.ts";

/** Explains the statements on `persistTo` (holding `seeded` events) and prints section 6. */
export async function queryPlans(bench: Bench, persistTo: string, seeded: number): Promise<QueryPlan[]> {
  bench.say(
    `\n## 6. Query plans on ${seeded / 1000}k stored events (EXPLAIN QUERY PLAN of the statements the worker runs)`,
  );
  const plans = await explainListQueries(persistTo);
  bench.say(
    table(
      ["statement", "reads", "plan"],
      plans.map((p) => [p.name, p.reads ?? "?", p.plan]),
    ),
  );
  const scans = plans.filter((p) => p.fullScan).length;
  if (plans.some((p) => p.fullScan === null)) bench.say("query plans could not be checked");
  else {
    const wholeIndex = plans.filter((p) => p.reads === "whole index").map((p) => p.name);
    bench.say(scans === 0 ? "no statement scans the events table" : `${scans} statement(s) scan the whole table`);
    if (wholeIndex.length) bench.say(`reading a whole index (cost grows with stored events): ${wholeIndex.join(", ")}`);
  }
  return plans;
}
