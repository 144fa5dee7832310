/** Bindings the vitest config adds on top of wrangler.toml. */
declare namespace Cloudflare {
  interface Env {
    TEST_MIGRATIONS: import("cloudflare:test").D1Migration[];
    PUBLIC_CALLBACK_URL: string;
  }
}
