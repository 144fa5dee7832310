/** Starting `wrangler dev` the way `npm start`, the e2e tests and the bench do: a start can be called off. */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { freePort, type LocalWorker, startWorker } from "../../scripts/lib/local-stack.ts";

let persistTo: string | undefined;
afterEach(() => {
  if (persistTo) rmSync(persistTo, { recursive: true, force: true });
  persistTo = undefined;
});

/** The start's outcome; a worker that did start (it should not) is stopped, so no test leaves one running. */
async function stopIfStarted(start: Promise<LocalWorker>): Promise<LocalWorker> {
  const worker = await start;
  await worker.stop();
  return worker;
}

/** Processes whose command line holds `--port <port>` (Linux /proc). */
function processesOnPort(port: number): number[] {
  return readdirSync("/proc")
    .filter((entry) => /^\d+$/.test(entry))
    .filter((pid) => {
      try {
        return readFileSync(`/proc/${pid}/cmdline`, "utf8").includes(`--port\0${port}\0`);
      } catch {
        return false; // exited meanwhile
      }
    })
    .map(Number);
}

describe("startWorker", () => {
  it("refuses to start when its signal is already aborted", async () => {
    const port = await freePort();
    await expect(stopIfStarted(startWorker({ port, signal: AbortSignal.abort() }))).rejects.toThrow();
    expect(processesOnPort(port)).toEqual([]);
  });

  it("kills a wrangler dev still starting when its signal aborts, and rejects the start", async () => {
    persistTo = mkdtempSync(join(tmpdir(), "omisell-stack-test-"));
    const port = await freePort();
    const controller = new AbortController();
    const start = startWorker({ port, persistTo, quiet: true, signal: controller.signal });
    await new Promise((r) => setTimeout(r, 300));
    expect(processesOnPort(port).length).toBeGreaterThan(0);
    controller.abort();
    await expect(stopIfStarted(start)).rejects.toThrow(/aborted/);
    await new Promise((r) => setTimeout(r, 500));
    expect(processesOnPort(port)).toEqual([]);
  });
});
