/**
 * Three projects:
 * - `workers`: tests that run inside workerd through the Cloudflare vitest plugin, with the
 *   real D1 migrations, queues and Durable Objects of wrangler.toml (test/**, not test/e2e or test/scripts).
 * - `e2e`: black-box tests over HTTP against a real `wrangler dev` started the way `npm start`
 *   starts it, with the Omisell stand-in (test/e2e).
 * - `scripts`: the local tools of scripts/ (stand-in, receiver, tail, …) tested in node, in-process.
 */

import { existsSync } from "node:fs";
import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";
import { unstable_getMiniflareWorkerOptions, unstable_readConfig } from "wrangler";
import { FORWARD_HOST, forwardStandIn } from "./test/helpers/standin-forward.ts";
import { omisellStandIn } from "./test/helpers/standin-omisell.ts";
import { TEST_VARS } from "./test/helpers/test-vars.ts";

/**
 * The Worker under test, from wrangler.toml, with wrangler.toml's [vars] and TEST_VARS as its only
 * vars. Not the plugin's `wrangler: { configPath }`: through it wrangler adds the developer's
 * `.dev.vars` (else `.env`) beside wrangler.toml, and plugin 1.5 has no way to stop that: it gives
 * wrangler no env files; CLOUDFLARE_LOAD_DEV_VARS_FROM_DOT_ENV=false skips only `.env`;
 * `environment: "x"` reads `.dev.vars.x` yet falls back to `.dev.vars`, and needs an `[env.x]`
 * repeating every binding. So this asks wrangler for the Miniflare options as the plugin does, with
 * NO_ENV_FILE as the env file (given one, wrangler reads no `.dev.vars` or `.env`; this one is
 * nowhere, so it reads no file at all), and sets the vars itself, so nothing wrangler loads
 * (CLOUDFLARE_INCLUDE_PROCESS_ENV's process.env too) reaches the tests.
 */
const NO_ENV_FILE = "test/helpers/no-env-file.env";

function workerUnderTest() {
  if (existsSync(NO_ENV_FILE)) throw new Error(`${NO_ENV_FILE} must not exist: it would give the tests its vars`);
  const config = unstable_readConfig({ config: "wrangler.toml" });
  // Wrangler reads `envFiles` here (as getPlatformProxy does) though its declared options omit it.
  const options = { envFiles: [NO_ENV_FILE], overrides: { enableContainers: false } };
  const { workerOptions, main } = unstable_getMiniflareWorkerOptions(config, undefined, options);
  return { main, workerOptions: { ...workerOptions, bindings: { ...config.vars, ...TEST_VARS } } };
}

/** Outbound requests of the Worker under test: the forwarding destination's, else the Omisell API's. */
function standIns(request: Request): Promise<Response> {
  return new URL(request.url).hostname === FORWARD_HOST ? forwardStandIn(request) : omisellStandIn(request);
}

export default defineConfig(async () => {
  const migrations = await readD1Migrations("./migrations");
  const { main, workerOptions } = workerUnderTest();
  return {
    test: {
      projects: [
        {
          plugins: [
            cloudflareTest({
              main,
              miniflare: {
                ...workerOptions,
                bindings: { ...workerOptions.bindings, TEST_MIGRATIONS: migrations },
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
