/**
 * The vars the tests run with, and nothing of the developer's: wrangler adds `.dev.vars` (else
 * `.env`, `.env.local`) beside wrangler.toml to a Worker's vars unless it is given env files of its own.
 */

/**
 * The workers project's vars on top of wrangler.toml's [vars] (vitest.config.ts), and the only
 * ones: test/test-vars.test.ts checks that a `.dev.vars` changes none of them.
 */
export const TEST_VARS = {
  OMISELL_PUSH_SECRET: "test-push-secret",
  PUBLIC_CALLBACK_URL: "https://omisell-push.example.workers.dev/webhooks/omisell",
  READ_API_TOKENS: "test-read-token",
  ADMIN_API_TOKENS: "test-admin-token",
  OMISELL_API_BASE: "https://api.omisell.test",
  OMISELL_AUTH_MODE: "account",
  OMISELL_ACCOUNT_KEY: "test-account-key",
  // Test files share the account key's rate limiter: a budget they cannot run out of, refilled
  // within a second. Tests of throttling set a small OMISELL_RATE_LIMIT and their own key.
  OMISELL_RATE_LIMIT: "10000/1",
  // Follow-ups go at once; tests of the quiet window set their own.
  FOLLOWUP_QUIET_MS: "0",
} as const;

/**
 * The env file the tests give wrangler, in place of `.dev.vars`/`.env`: `envFiles` of its API for
 * the workers project, `--env-file` of `wrangler dev` for e2e. Relative to wrangler.toml, and no
 * file is there, so wrangler reads no file at all (vitest.config.ts refuses to start if one appears).
 */
export const NO_ENV_FILE = "test/helpers/no-env-file.env";
