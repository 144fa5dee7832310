/**
 * Three projects:
 * - `workers`: tests that run inside workerd through the Cloudflare vitest plugin, with the
 *   real D1 migrations, queues and Durable Objects of wrangler.toml (test/**, not test/e2e or test/scripts).
 * - `e2e`: black-box tests over HTTP against a real `wrangler dev` started the way `npm start`
 *   starts it, with the Omisell stand-in (test/e2e).
 * - `scripts`: the local tools of scripts/ (stand-in, receiver, tail, …) tested in node, in-process.
 */

import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";
import { FORWARD_HOST, forwardStandIn } from "./test/helpers/standin-forward.ts";
import { omisellStandIn } from "./test/helpers/standin-omisell.ts";
import { TEST_VARS } from "./test/helpers/test-vars.ts";

/** Outbound requests of the Worker under test: the forwarding destination's, else the Omisell API's. */
function standIns(request: Request): Promise<Response> {
  return new URL(request.url).hostname === FORWARD_HOST ? forwardStandIn(request) : omisellStandIn(request);
}

export default defineConfig(async () => {
  const migrations = await readD1Migrations("./migrations");
  return {
    test: {
      projects: [
        {
          plugins: [
            cloudflareTest({
              wrangler: { configPath: "./wrangler.toml" },
              miniflare: {
                bindings: { ...TEST_VARS, TEST_MIGRATIONS: migrations },
                // The queue consumer really runs in these tests: every outbound request it makes
                // (there is no internet) is answered by a stand-in of test/helpers.
                outboundService: standIns,
              },
            }),
          ],
          test: {
            name: "workers",
            include: ["test/**/*.test.ts"],
            exclude: ["test/e2e/**", "test/scripts/**"],
            setupFiles: ["./test/setup/apply-migrations.ts"],
            // The worker logs one JSON line per decision; show them only for failing tests.
            silent: "passed-only",
            testTimeout: 20_000,
          },
        },
        {
          test: {
            name: "e2e",
            include: ["test/e2e/**/*.test.ts"],
            environment: "node",
            globalSetup: ["./test/e2e/global-setup.ts"],
            testTimeout: 60_000,
            hookTimeout: 120_000,
            fileParallelism: false,
          },
        },
        {
          test: {
            name: "scripts",
            include: ["test/scripts/**/*.test.ts"],
            environment: "node",
            testTimeout: 20_000,
          },
        },
      ],
    },
  };
});
