/**
 * Phase 1 alone: ingest vs bare vs floor in A B C rounds at `--connections` (a quick look, or
 * one point of a curve over connection counts), then one SUMMARY line.
 */
import { type Scenario, sayHeader } from "../bench.ts";
import { ingestRounds } from "../phases/rounds.ts";
import { startTargets } from "../targets.ts";

export default {
  summary: "phase 1 alone: ingest vs bare vs floor rounds at --connections",
  report: "ingest-run",
  async run(bench) {
    sayHeader(bench);
    const targets = await startTargets(bench);
    const { connections, rounds, perRound, overall, floorOfBare, ofFloor, non2xx, worstP99, fillRate } =
      await ingestRounds(bench, targets);
    bench.say(
      `\nSUMMARY ${connections} connections: ingest/bare ${overall.toFixed(2)}x (rounds ${perRound.map((r) => r.toFixed(2)).join(", ")}), ` +
        `floor/bare ${floorOfBare.toFixed(2)}x, ingest/floor ${ofFloor.toFixed(2)}x, non-2xx ${non2xx}, ingest p99 <= ${worstP99} ms`,
    );
    return { settings: bench.settings, connections, rounds, perRound, overall, floorOfBare, ofFloor, non2xx, fillRate };
  },
} satisfies Scenario;
