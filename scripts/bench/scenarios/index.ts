/**
 * Every bench scenario by name (`npm run bench -- --scenario <name>`). Adding one: a file in this
 * folder whose default export is a `Scenario`, and one line here.
 */
import type { Scenario } from "../bench.ts";

export const SCENARIOS: Record<string, () => Promise<{ default: Scenario }>> = {
  main: () => import("./main.ts"),
  ingest: () => import("./ingest.ts"),
  budget: () => import("./budget.ts"),
  steps: () => import("./steps.ts"),
  archive: () => import("./archive.ts"),
  fanout: () => import("./fanout.ts"),
  "sale-day": () => import("./sale-day.ts"),
  "group-commit": () => import("./group-commit.ts"),
};
