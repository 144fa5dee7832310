/**
 * Starts one local omisell-push for the e2e project, as `npm start` does: migrations applied to
 * a fresh persisted state folder, the Omisell stand-in, `wrangler dev` on a free loopback port.
 * Tests read the addresses with `inject("workerUrl")` etc.; restart tests may start their own.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TestProject } from "vitest/node";
import { applyLocalMigrations, ensureDevVars, freePort, startWorker } from "../../scripts/lib/local-stack.ts";
import { startOmisellStandin } from "../../scripts/omisell-standin.ts";
import { E2E_VARS } from "./config";

declare module "vitest" {
  export interface ProvidedContext {
    workerUrl: string;
    standinUrl: string;
    persistTo: string;
  }
}

export default async function setup(project: TestProject) {
  ensureDevVars();
  const persistTo = mkdtempSync(join(tmpdir(), "omisell-push-e2e-"));
  applyLocalMigrations(persistTo, { quiet: true });
  const standin = await startOmisellStandin({ port: 0 });
  const worker = await startWorker({
    port: await freePort(),
    persistTo,
    quiet: true,
    vars: { ...E2E_VARS, OMISELL_API_BASE: standin.url },
  });
  project.provide("workerUrl", worker.url);
  project.provide("standinUrl", standin.url);
  project.provide("persistTo", persistTo);
  return async () => {
    await worker.stop();
    await standin.close();
    rmSync(persistTo, { recursive: true, force: true });
  };
}
