/**
 * `npm run bench [-- --scenario <name>] [--<flag> <value> …]`: runs one bench scenario on a fresh
 * local stack (everything on loopback, persisted state in temp folders), prints its report and
 * keeps it in `.bench/<report>.txt` and `.json`. Everything the run started is stopped at the end,
 * also on error, Ctrl-C or the deadline. `--help` lists the scenarios and flags.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { ROOT } from "../lib/local-stack.ts";
import { createBench, type Scenario } from "./bench.ts";
import { SCENARIOS } from "./scenarios/index.ts";
import { type BenchSettings, DEFAULT_SETTINGS, KNOBS, readSettings } from "./settings.ts";

async function usage(): Promise<string> {
  const scenarios = await Promise.all(
    Object.entries(SCENARIOS).map(async ([name, load]) => {
      const { summary, knobs } = (await load()).default;
      return `  ${name.padEnd(8)} ${summary}${knobs ? `\n  ${"".padEnd(8)} knobs: ${knobs}` : ""}`;
    }),
  );
  const flags = KNOBS.map((k) => `  --${k.flag.padEnd(22)} ${k.env.padEnd(28)} ${k.help} (${DEFAULT_SETTINGS[k.key]})`);
  return [
    "npm run bench [-- --scenario <name>] [--<flag> <value> …]",
    "",
    "scenarios (default main):",
    ...scenarios,
    "",
    "flags (or the environment variable; the default in parentheses):",
    ...flags,
    "",
    "BENCHMARKS.md explains the method and holds the figures of past runs.",
  ].join("\n");
}

function fail(message: string): never {
  console.error(message);
  process.exit(2);
}

let args: ReturnType<typeof parseArgs>["values"];
try {
  args = parseArgs({
    options: {
      scenario: { type: "string", default: "main" },
      help: { type: "boolean", default: false },
      ...Object.fromEntries(KNOBS.map((k) => [k.flag, { type: "string" as const }])),
    },
  }).values;
} catch (err) {
  fail(`${err instanceof Error ? err.message : err}\n\n${await usage()}`);
}
if (args.help) {
  console.log(await usage());
  process.exit(0);
}
const name = String(args.scenario);
const load = SCENARIOS[name];
if (!load) fail(`unknown scenario "${name}": ${Object.keys(SCENARIOS).join(", ")} (see --help)`);
let settings: BenchSettings;
try {
  const flags: Record<string, string | undefined> = {};
  for (const { flag } of KNOBS) {
    const value = args[flag];
    if (typeof value === "string") flags[flag] = value;
  }
  settings = readSettings(flags);
} catch (err) {
  fail(err instanceof Error ? err.message : String(err));
}
const scenario: Scenario = (await load()).default;
const bench = createBench(settings);

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, async () => {
    console.error(`\n${signal}: stopping everything the bench started`);
    await bench.cleanUp();
    process.exit(130);
  });
}
const deadlineMs = Math.max(settings.deadlineMs, scenario.minDeadlineMs ?? 0);
const deadline = setTimeout(async () => {
  console.error(`bench exceeded ${deadlineMs / 60_000} minutes: stopping`);
  await bench.cleanUp();
  process.exit(1);
}, deadlineMs);
deadline.unref();

try {
  const result = await scenario.run(bench);
  const outDir = join(ROOT, ".bench");
  mkdirSync(outDir, { recursive: true });
  writeFileSync(join(outDir, `${scenario.report}.txt`), `${bench.lines().join("\n")}\n`);
  writeFileSync(join(outDir, `${scenario.report}.json`), JSON.stringify(result, null, 2));
  console.log(`\n(report saved to .bench/${scenario.report}.txt)`);
  await bench.cleanUp();
  process.exit(0);
} catch (err) {
  // Stopped by Ctrl-C or the deadline, whose handler cleans up and exits: nothing failed.
  if (!bench.signal.aborted) {
    console.error(`bench failed: ${err instanceof Error ? (err.stack ?? err.message) : err}`);
    await bench.cleanUp();
    process.exit(1);
  }
}
