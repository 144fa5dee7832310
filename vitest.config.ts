/**
 * Two projects:
 * - `workers`: tests that run inside workerd through the Cloudflare vitest plugin, with the
 *   real D1 migrations, queues and Durable Objects of wrangler.toml (test/**, not test/e2e).
 * - `e2e`: black-box tests over HTTP against a real `wrangler dev` started the way `npm start`
 *   starts it, with the Omisell stand-in (test/e2e).
 */
import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";

export const TEST_PUSH_SECRET = "test-push-secret";

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
                bindings: {
                  TEST_MIGRATIONS: migrations,
                  OMISELL_PUSH_SECRET: TEST_PUSH_SECRET,
                  PUBLIC_CALLBACK_URL: "https://omisell-push.example.workers.dev/webhooks/omisell",
                  READ_API_TOKENS: "test-read-token",
                  ADMIN_API_TOKENS: "test-admin-token",
                  OMISELL_API_BASE: "https://api.omisell.test",
                  OMISELL_AUTH_MODE: "account",
                  OMISELL_ACCOUNT_KEY: "test-account-key",
                },
              },
            }),
          ],
          test: {
            name: "workers",
            include: ["test/**/*.test.ts"],
            exclude: ["test/e2e/**"],
            setupFiles: ["./test/setup/apply-migrations.ts"],
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
      ],
    },
  };
});
