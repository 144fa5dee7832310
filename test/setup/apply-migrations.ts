/** Applies the real migrations from migrations/ to the test D1 database before each file. */
import { applyD1Migrations } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { setLogLevel } from "../../src/lib/log";

await applyD1Migrations(env.DB, env.TEST_MIGRATIONS);

// Worker logs are off in tests: see setLogLevel. Tests that read logs call setLogLevel("debug").
setLogLevel("silent");
