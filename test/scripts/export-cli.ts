/** Runs `scripts/export.ts` as `npm run export` would, with nothing of the caller's environment but PATH. */
import { spawn } from "node:child_process";
import { join, resolve } from "node:path";

const ROOT = resolve(import.meta.dirname, "../..");

/** The export's exit code and what it printed on stderr. */
export function exportCli(args: string[]): Promise<{ code: number; stderr: string }> {
  return new Promise((done) => {
    const child = spawn(process.execPath, [join(ROOT, "scripts/export.ts"), ...args], {
      env: { PATH: process.env.PATH ?? "" },
    });
    let stderr = "";
    child.stderr.on("data", (chunk) => {
      stderr += chunk;
    });
    child.on("close", (code) => done({ code: code ?? -1, stderr }));
  });
}
