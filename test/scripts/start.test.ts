/**
 * `npm start`'s quiet output and its banner, pure: the filter over wrangler's real output
 * (captured from a start on this machine, offline), the migrations' one line, the local-only
 * `--var`s, and a banner that says what `.dev.vars` really turns on.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parseDevVars, readTomlVars } from "../../scripts/lib/dev-vars.ts";
import { localVars, startBanner } from "../../scripts/lib/start-banner.ts";
import {
  createWranglerFilter,
  lineSplitter,
  summariseMigrations,
  withoutColours,
} from "../../scripts/lib/start-output.ts";

const fixture = (name: string) => readFileSync(new URL(`./fixtures/${name}`, import.meta.url), "utf8");
const DEV_OUTPUT = fixture("wrangler-dev-output.txt").split("\n");

describe("wrangler dev's output, quiet", () => {
  it("keeps the requests and the worker's warnings, and nothing else of a real start", () => {
    const kept = DEV_OUTPUT.filter(createWranglerFilter({ verbose: false })).map(withoutColours);
    expect(kept).toEqual([
      "[wrangler:info] GET /api/events 200 OK (34ms)",
      '▲ [WARNING] {"level":"warn","msg":"push_signature_invalid","reason":"missing","mode":"enforce","bytes":25}',
      "[wrangler:info] POST /webhooks/omisell 401 Unauthorized (39ms)",
      "[wrangler:info] GET /dashboard 303 See Other (5ms)",
    ]);
  });

  it("drops both bindings tables, both Request.cf warnings and their stack traces", () => {
    const keep = createWranglerFilter({ verbose: false });
    const dropped = DEV_OUTPUT.filter((line) => !keep(line));
    expect(DEV_OUTPUT.filter((line) => line.startsWith("Your Worker has access")).length).toBe(2);
    expect(dropped.filter((line) => line.startsWith("env.")).length).toBe(
      DEV_OUTPUT.filter((line) => line.startsWith("env.")).length,
    );
    expect(dropped.filter((line) => line.includes("ENOTFOUND")).length).toBe(2);
    expect(dropped.filter((line) => /^\s+at /.test(line)).length).toBe(4);
  });

  it("keeps an error wrangler prints after a trace, and a line it does not know", () => {
    const keep = createWranglerFilter({ verbose: false });
    const lines = [
      "[wrangler:warn] Unable to fetch the `Request.cf` object! Falling back to a default placeholder...",
      "Error: getaddrinfo ENOTFOUND workers.cloudflare.com",
      "    at GetAddrInfoReqWrap.onlookupall [as oncomplete] (node:dns:122:26)",
      "✘ [ERROR] Address already in use (127.0.0.1:8787)",
      '{"level":"error","msg":"followup_write_failed"}',
      '{"level":"info","msg":"push_accepted"}',
    ];
    expect(lines.filter(keep)).toEqual([lines[3], lines[4]]);
  });

  it("shows every line with --verbose", () => {
    expect(DEV_OUTPUT.filter(createWranglerFilter({ verbose: true }))).toEqual(DEV_OUTPUT);
  });

  it("hands over whole lines whatever the chunks", () => {
    const lines: string[] = [];
    const splitter = lineSplitter((line) => lines.push(line));
    splitter.push("[wrangler:info] GET /a 200");
    splitter.push(" OK\n[wrangler:info] GET");
    splitter.push(" /b 200 OK\r\npartial");
    expect(lines).toEqual(["[wrangler:info] GET /a 200 OK", "[wrangler:info] GET /b 200 OK"]);
    splitter.flush();
    expect(lines.at(-1)).toBe("partial");
  });
});

describe("the migrations' line", () => {
  it("says how many a first start applied, instead of twelve tables", () => {
    const output = fixture("wrangler-migrations-output.txt");
    expect(output.split("\n").filter((line) => line.startsWith("┌")).length).toBeGreaterThan(10);
    expect(summariseMigrations(output)).toBe("local D1: 12 migrations applied");
  });

  it("says the database is up to date when there was nothing to apply", () => {
    expect(summariseMigrations("✅ No migrations to apply!")).toBe("local D1 is up to date (no migration to apply)");
    expect(summariseMigrations("something else")).toBeNull();
  });
});

describe("the local settings", () => {
  const toml = readTomlVars(readFileSync(new URL("../../wrangler.toml", import.meta.url), "utf8"));
  const example = parseDevVars(readFileSync(new URL("../../.dev.vars.example", import.meta.url), "utf8"));

  it("reads wrangler.toml's [vars], not its commented lines or other tables", () => {
    expect(toml.RECONCILE_EVERY_MINUTES).toBe("15");
    expect(toml.OMISELL_API_BASE).toBe("https://api.omisell.com");
    expect(toml).not.toHaveProperty("FORWARD_URL");
    expect(toml).not.toHaveProperty("binding");
  });

  it("reads .dev.vars lines: comments skipped, quotes removed", () => {
    expect(parseDevVars('# c\nA=1\nB="two words"\nexport C=3 # note\n\nnot a line')).toEqual({
      A: "1",
      B: "two words",
      C: "3",
    });
  });

  it("keeps only secrets with dev values in .dev.vars.example, none of wrangler.toml's vars", () => {
    expect(Object.keys(example).sort()).toEqual([
      "ADMIN_API_TOKENS",
      "OMISELL_ACCOUNT_KEY",
      "OMISELL_PUSH_SECRET",
      "READ_API_TOKENS",
    ]);
    for (const name of Object.keys(example)) expect(toml, name).not.toHaveProperty(name);
  });

  it("passes the stand-in as OMISELL_API_BASE, unless .dev.vars names another API", () => {
    const base = { env: {}, tomlVars: toml, standinUrl: "http://127.0.0.1:8788" };
    expect(localVars({ ...base, devVars: example })).toEqual({ OMISELL_API_BASE: "http://127.0.0.1:8788" });
    expect(localVars({ ...base, devVars: { OMISELL_API_BASE: "https://api.omisell.com" } })).toEqual({});
  });

  it("passes forwarding and alerts from the environment, and nothing else of it", () => {
    const env = {
      FORWARD_URL: "http://127.0.0.1:8789/",
      FORWARD_SECRET: "whsec_x",
      ALERT_URL: "http://a",
      HOME: "/root",
    };
    expect(localVars({ env, devVars: {}, tomlVars: toml, standinUrl: "http://s" })).toEqual({
      FORWARD_URL: "http://127.0.0.1:8789/",
      FORWARD_SECRET: "whsec_x",
      ALERT_URL: "http://a",
      OMISELL_API_BASE: "http://s",
    });
  });
});

describe("the banner", () => {
  const toml = readTomlVars(readFileSync(new URL("../../wrangler.toml", import.meta.url), "utf8"));
  const banner = (devVars: Record<string, string>, env: Record<string, string> = {}) =>
    startBanner({
      env,
      devVars,
      tomlVars: toml,
      standinUrl: "http://127.0.0.1:8788",
      url: "http://localhost:8787",
      verbose: false,
    });

  it("names the URLs and the tokens and secret to use, from .dev.vars", () => {
    const text = banner({ OMISELL_PUSH_SECRET: "s3cret", READ_API_TOKENS: "r1,r2", ADMIN_API_TOKENS: "a1" });
    expect(text).toContain("POST http://localhost:8787/webhooks/omisell   (push secret: s3cret)");
    expect(text).toContain("(Authorization: Bearer r1)");
    expect(text).toContain("sign in with r1, or a1 to act");
    expect(text).toContain("http://localhost:8787/docs");
    expect(text).toContain("the stand-in on http://127.0.0.1:8788");
    expect(text).toContain("--secret s3cret");
  });

  it("says forwarding and alerts are on when .dev.vars turns them on", () => {
    const text = banner({
      FORWARD_URL: "http://127.0.0.1:8789/",
      FORWARD_SECRET: "whsec_x",
      ALERT_URL: "http://hooks",
    });
    expect(text).toMatch(/forwarding\s+on, to http:\/\/127\.0\.0\.1:8789\/ \(FORWARD_URL from \.dev\.vars\)/);
    expect(text).toMatch(/alerts\s+on, to http:\/\/hooks \(ALERT_URL from \.dev\.vars\)/);
  });

  it("says where forwarding comes from when the environment sets it", () => {
    expect(banner({}, { FORWARD_URL: "http://env-dest/" })).toContain("FORWARD_URL from the environment");
  });

  it("says off for what is off, and reconciliation as configured", () => {
    const off = banner({});
    expect(off).toMatch(/forwarding\s+off \(set FORWARD_URL and FORWARD_SECRET\)/);
    expect(off).toMatch(/alerts\s+off \(set ALERT_URL\)/);
    expect(off).toMatch(/reconciliation\s+every 15 minutes/);
    expect(banner({ RECONCILE_EVERY_MINUTES: "0" })).toMatch(/reconciliation\s+off/);
    expect(banner({ RECONCILE_EVERY_MINUTES: "5" })).toMatch(/reconciliation\s+every 5 minutes/);
  });

  it("says which Omisell API the worker calls when .dev.vars names one", () => {
    expect(banner({ OMISELL_API_BASE: "https://api.omisell.com" })).toContain(
      "https://api.omisell.com (from .dev.vars; the stand-in still runs on http://127.0.0.1:8788)",
    );
  });
});
