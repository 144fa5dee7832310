/**
 * The settings of a bench run: defaults, and the knobs a run can change by flag or environment
 * variable (`npm run bench -- --help` lists them).
 */

export type BenchSettings = {
  /** Connections of every load run that does not say otherwise. */
  connections: number;
  roundSec: number;
  rounds: number;
  warmupSec: number;
  /** Seconds of each run of the phases after the rounds. */
  phaseSec: number;
  drainSec: number;
  standinLatencyMs: number;
  followupParallelism: number;
  /** What-if runs only (BENCHMARKS.md): another copy of wrangler.toml, e.g. with a larger batch. */
  wranglerConfig: string;
  querySamples: number;
  /** The whole run is cut short past this, whatever happens. */
  deadlineMs: number;
};

type Knob = { key: keyof BenchSettings; flag: string; env: string; help: string };

export const DEFAULT_SETTINGS: Readonly<BenchSettings> = {
  connections: 32,
  roundSec: 10,
  rounds: 2,
  warmupSec: 3,
  phaseSec: 4,
  drainSec: 30,
  standinLatencyMs: 50,
  followupParallelism: 25,
  wranglerConfig: "wrangler.toml",
  querySamples: 30,
  deadlineMs: 12 * 60_000,
};

/** The settings a run can change: `--<flag> value`, else the environment variable, else the default. */
export const KNOBS: readonly Knob[] = [
  { key: "connections", flag: "connections", env: "BENCH_CONNECTIONS", help: "connections per load run" },
  { key: "roundSec", flag: "round-seconds", env: "BENCH_ROUND_SECONDS", help: "seconds of each round" },
  { key: "rounds", flag: "rounds", env: "BENCH_ROUNDS", help: "A B C rounds" },
  {
    key: "phaseSec",
    flag: "phase-seconds",
    env: "BENCH_PHASE_SECONDS",
    help: "seconds of each run after the rounds",
  },
  {
    key: "drainSec",
    flag: "drain-seconds",
    env: "BENCH_DRAIN_SECONDS",
    help: "longest wait for the backlog to drain",
  },
  {
    key: "standinLatencyMs",
    flag: "standin-latency-ms",
    env: "BENCH_STANDIN_LATENCY_MS",
    help: "delay of every stand-in answer",
  },
  {
    key: "followupParallelism",
    flag: "followup-parallelism",
    env: "BENCH_FOLLOWUP_PARALLELISM",
    help: "Omisell calls in flight per consumer batch",
  },
  {
    key: "wranglerConfig",
    flag: "wrangler-config",
    env: "BENCH_WRANGLER_CONFIG",
    help: "the worker's config (what-if runs only)",
  },
];

/**
 * The settings of a run from flags and environment. Throws, naming the flag, on a number that is
 * not a positive whole number.
 */
export function readSettings(
  flags: Record<string, string | undefined>,
  env: NodeJS.ProcessEnv = process.env,
): BenchSettings {
  const settings: BenchSettings = { ...DEFAULT_SETTINGS };
  for (const knob of KNOBS) {
    const given = flags[knob.flag] ?? env[knob.env];
    if (given === undefined) continue;
    if (typeof DEFAULT_SETTINGS[knob.key] === "string") {
      Object.assign(settings, { [knob.key]: given });
      continue;
    }
    const number = Number(given);
    const floor = knob.key === "standinLatencyMs" ? 0 : 1;
    if (!Number.isInteger(number) || number < floor) {
      throw new Error(`--${knob.flag} (${knob.env}) must be a whole number >= ${floor}, not ${JSON.stringify(given)}`);
    }
    Object.assign(settings, { [knob.key]: number });
  }
  return settings;
}
