/**
 * The local stack an e2e file runs against, started as `npm start` starts it (fresh persisted
 * state with the migrations, the Omisell stand-in, `wrangler dev` on a free loopback port), with
 * E2E_VARS and none of the developer's `.dev.vars` or `.env`.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  applyLocalMigrations,
  executeLocalSqlFile,
  freePort,
  type LocalWorker,
  startWorker,
} from "../../scripts/lib/local-stack.ts";
import { type OmisellStandin, startOmisellStandin } from "../../scripts/omisell-standin.ts";
import { E2E_VARS } from "./config";

/** A free loopback port (for a receiver of the file's own). */
export const freeLoopbackPort: () => Promise<number> = freePort;

/** A running `wrangler dev`; `child` is its process group leader (SIGKILL it to crash the stack). */
export type { LocalWorker };

/** The Omisell stand-in of scripts/omisell-standin.ts, in this process. */
export type Standin = OmisellStandin;

export type LocalStack = {
  persistTo: string;
  standin: Standin;
  /** The vars the worker runs with: E2E_VARS, the stand-in as OMISELL_API_BASE, the file's own. */
  vars: Record<string, string>;
  /** The worker started last. */
  worker: LocalWorker;
  /** Starts the worker again on the same port and state (after a stop or a kill); it becomes `worker`. */
  startWorker(): Promise<LocalWorker>;
  /** Stops the worker and the stand-in and removes the state. */
  close(): Promise<void>;
};

/**
 * Starts a stack of the file's own. `vars` come on top of E2E_VARS; `standin` are the stand-in's
 * options (e.g. `{ rateLimit: "20/4" }`); `seedSql` runs on the fresh database before the worker starts. `wrangler dev` reads `.dev.vars` (else `.env`) unless it
 * is given an env file: it gets an empty one of the stack's own, so its vars are exactly these
 * (`--var`). The file must exist: Node 22 itself reads `--env-file` wherever it stands in argv.
 *
 * @example
 * const stack = await startLocalStack("reconcile", { vars: { RECONCILE_EVERY_MINUTES: "0" } });
 */
export async function startLocalStack(
  name: string,
  options: { vars?: Record<string, string>; standin?: Record<string, unknown>; seedSql?: string } = {},
): Promise<LocalStack> {
  const persistTo = mkdtempSync(join(tmpdir(), `omisell-push-${name}-`));
  applyLocalMigrations(persistTo, { quiet: true });
  if (options.seedSql) {
    const seedFile = join(persistTo, "seed.sql");
    writeFileSync(seedFile, options.seedSql);
    executeLocalSqlFile(persistTo, seedFile);
  }
  const standin = await startOmisellStandin({ port: 0, ...options.standin });
  let port = await freePort();
  const vars = { ...E2E_VARS, OMISELL_API_BASE: standin.url, ...options.vars };
  const envFile = join(persistTo, "no-vars.env");
  writeFileSync(envFile, "# Stands in for .dev.vars: the e2e worker's vars are its --var flags.\n");
  const extraArgs = ["--env-file", envFile];
  const start = async () => startWorker({ port, persistTo, quiet: true, vars, extraArgs });
  /**
   * The first start: a port found free can be taken by another process (a workerd of the workers
   * project) before wrangler binds it; then another port is tried. Restarts keep the port.
   */
  const startOnAFreePort = async (): Promise<LocalWorker> => {
    for (let tries = 1; ; tries++) {
      try {
        return await start();
      } catch (err) {
        if (tries >= 3 || !String(err).includes("Address already in use")) throw err;
        port = await freePort();
      }
    }
  };
  let first: LocalWorker;
  try {
    first = await startOnAFreePort();
  } catch (err) {
    await standin.close();
    rmSync(persistTo, { recursive: true, force: true });
    throw err;
  }
  const stack: LocalStack = {
    persistTo,
    standin,
    vars,
    worker: first,
    async startWorker() {
      stack.worker = await start();
      return stack.worker;
    },
    async close() {
      await stack.worker.stop();
      await standin.close();
      rmSync(persistTo, { recursive: true, force: true });
    },
  };
  return stack;
}
