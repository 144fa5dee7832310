/**
 * Starts one local omisell-push for the e2e project, as `npm start` does: migrations applied to
 * a fresh persisted state folder, the Omisell stand-in, `wrangler dev` on a free loopback port.
 * Tests read the addresses with `inject("workerUrl")` etc.; restart tests may start their own.
 */
import type { TestProject } from "vitest/node";
import { startLocalStack } from "./stack";

declare module "vitest" {
  export interface ProvidedContext {
    workerUrl: string;
    standinUrl: string;
    persistTo: string;
  }
}

export default async function setup(project: TestProject) {
  const stack = await startLocalStack("e2e");
  project.provide("workerUrl", stack.worker.url);
  project.provide("standinUrl", stack.standin.url);
  project.provide("persistTo", stack.persistTo);
  return () => stack.close();
}
