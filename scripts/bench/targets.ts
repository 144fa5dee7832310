/**
 * The three workers the ingest figures compare, started side by side on one machine: omisell-push
 * as `npm start` runs it (with the Omisell stand-in), the bare Hono route (the yardstick) and the
 * floor (one D1 insert and one queue send per push). Each runs on fresh local state.
 */
import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { applyLocalMigrations, type LocalWorker, wrangler } from "../lib/local-stack.ts";
import type { OmisellStandin } from "../omisell-standin.ts";
import { type Bench, READ_TOKEN, type Target } from "./bench.ts";
import { readStatusCounts } from "./drain.ts";

export const BARE_CONFIG = "scripts/bench/workers/wrangler.bare.toml";
export const FLOOR_CONFIG = "scripts/bench/workers/wrangler.floor.toml";
export const STEPS_CONFIG = "scripts/bench/workers/wrangler.steps.toml";

export type Targets = {
  /** The local state of omisell-push (D1, claim shards). */
  persistTo: string;
  standin: OmisellStandin;
  /** omisell-push's own worker. */
  worker: LocalWorker;
  ingest: Target;
  bare: Target;
  floor: Target;
};

/** Applies the D1 migrations of a bench worker's config to `persistTo`. */
export function migrateBenchWorker(persistTo: string, config: string): void {
  const migrated = wrangler(
    ["d1", "migrations", "apply", "DB", "--local", "--persist-to", persistTo, "--config", config],
    { stdio: "pipe" },
  );
  if (migrated.status !== 0) throw new Error(`migrations of ${config} failed:\n${migrated.stdout}${migrated.stderr}`);
}

export async function startTargets(bench: Bench): Promise<Targets> {
  const persistTo = bench.tempDir("omisell-bench-");
  applyLocalMigrations(persistTo, { quiet: true });
  const standin = await bench.startStandin({ latencyMs: bench.settings.standinLatencyMs });
  const worker = await bench.startOmisellPush(persistTo, standin.url);
  const bareWorker = await bench.startWorker({ config: BARE_CONFIG });
  const floorState = bench.tempDir("omisell-bench-floor-");
  migrateBenchWorker(floorState, FLOOR_CONFIG);
  const floorWorker = await bench.startWorker({ persistTo: floorState, config: FLOOR_CONFIG });
  return {
    persistTo,
    standin,
    worker,
    ingest: { tag: "a", url: worker.url, worker },
    bare: { tag: "b", url: bareWorker.url, worker: bareWorker },
    floor: { tag: "c", url: floorWorker.url, worker: floorWorker },
  };
}

/** Bytes the claim shards keep in Durable Object storage under `persistTo` (0: nothing written). */
export function claimShardStorageBytes(persistTo: string): number {
  let bytes = 0;
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (path.includes("ClaimShard")) bytes += statSync(path).size;
    }
  };
  walk(persistTo);
  return bytes;
}

/** Events stored, by the stats (exact: rolled-up counts plus the live tail). */
export async function storedEvents(url: string): Promise<number> {
  const { received, settled } = await readStatusCounts(url, READ_TOKEN);
  return received + settled;
}
