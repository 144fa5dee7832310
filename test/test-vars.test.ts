/**
 * The workers project's vars come from wrangler.toml's [vars] and the test config alone, never
 * from a developer's `.dev.vars` or `.env` (vitest.config.ts). `.ci/run` proves it: it runs
 * `npm test` with a `.dev.vars` that turns forwarding and alerts on and changes the push secret and tokens.
 */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import wranglerToml from "../wrangler.toml?raw";
import { TEST_VARS } from "./helpers/test-vars";

/** The names set in wrangler.toml's [vars] table (its `KEY = "value"` lines). */
function wranglerVarNames(): string[] {
  const table = wranglerToml.split(/^\[vars\]$/m)[1]?.split(/^\[/m)[0] ?? "";
  return [...table.matchAll(/^([A-Z][A-Z0-9_]*)\s*=/gm)].map((match) => match[1] as string);
}

/** The Worker's string bindings, less the ones the vitest plugin adds for itself. */
const stringVars = () =>
  Object.entries(env)
    .filter(([name, value]) => typeof value === "string" && !name.startsWith("__VITEST_POOL_WORKERS_"))
    .map(([name]) => name);

describe("the vars the suite's Worker runs with", () => {
  it("are the test config's values, whatever a .dev.vars sets", () => {
    const actual = Object.fromEntries(Object.keys(TEST_VARS).map((name) => [name, Reflect.get(env, name)]));
    expect(actual).toEqual(TEST_VARS);
  });

  it("are only the ones wrangler.toml and the test config declare", () => {
    expect(wranglerVarNames()).toContain("SIGNATURE_MODE");
    const declared = new Set([...wranglerVarNames(), ...Object.keys(TEST_VARS)]);
    expect(stringVars().filter((name) => !declared.has(name))).toEqual([]);
  });

  it("leave forwarding and alerts off, as no test config turns them on", () => {
    for (const name of ["FORWARD_URL", "FORWARD_SECRET", "ALERT_URL", "ALERT_SECRET", "ALERT_FORMAT"]) {
      expect(Reflect.get(env, name), name).toBeUndefined();
    }
  });
});
