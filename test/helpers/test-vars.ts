/**
 * The vars of the workers project's Worker on top of wrangler.toml's [vars], and the only ones: no
 * `.dev.vars` or `.env` of the developer's adds to them (vitest.config.ts; test/test-vars.test.ts checks it).
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
