/** Secrets and tokens the e2e worker runs with (passed as --var; no .dev.vars is read: test/e2e/stack.ts). */
export const E2E_VARS = {
  OMISELL_PUSH_SECRET: "e2e-push-secret",
  READ_API_TOKENS: "e2e-read-token",
  ADMIN_API_TOKENS: "e2e-admin-token",
  OMISELL_AUTH_MODE: "account",
  OMISELL_ACCOUNT_KEY: "e2e-account-key",
  SWEEP_AFTER_SECONDS: "10",
  // A message lost with a stopped process is re-sent after 20 s (30 min by default).
  SWEEP_LOST_AFTER_SECONDS: "20",
  // Short follow-up backoff so retries and dead letters happen within a test's time.
  FOLLOWUP_BACKOFF_BASE_SECONDS: "1",
  FOLLOWUP_BACKOFF_MAX_SECONDS: "1",
  // The stand-in has no budget to protect; Omisell's 100/60 would throttle the storm tests, and
  // a one-second window empties the bucket a 429 fills within a test's time.
  OMISELL_RATE_LIMIT: "10000/1",
  // A one-second quiet window per order (5 s by default), so follow-ups settle within a test's time.
  FOLLOWUP_QUIET_MS: "1000",
} as const;
