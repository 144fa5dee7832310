/**
 * The one config object: a section per concern, each parsed on its own from the same env vars,
 * in the units the code uses, once per env object. A bad value stops only the code that reads
 * its section; the push endpoint and forwarding never stop for another section's mistake.
 */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { ConfigError, readConfig } from "../src/config";
import { fetchWithEnv } from "./helpers/push";
import { BASE, READ_TOKEN } from "./helpers/read-api";

describe("readConfig", () => {
  it("hands every section out camelCase, durations in milliseconds", () => {
    const config = readConfig({
      CLAIM_LEASE_SECONDS: "12",
      SWEEP_AFTER_SECONDS: "60",
      SWEEP_LOST_AFTER_SECONDS: "600",
      RETENTION_DAYS: "2",
      RECONCILE_EVERY_MINUTES: "5",
      HEALTH_SILENCE_MINUTES: "3",
      FOLLOWUP_BACKOFF_BASE_SECONDS: "7",
      READ_API_TOKENS: " a , b ",
    });
    expect(config.push.claimLeaseMs).toBe(12_000);
    expect(config.followup).toMatchObject({
      sweepAfterMs: 60_000,
      sweepLostAfterMs: 600_000,
      backoff: { baseSeconds: 7, maxSeconds: 3600 },
    });
    expect(config.retention.retentionMs).toBe(2 * 86_400_000);
    expect(config.reconcile.everyMs).toBe(5 * 60_000);
    expect(config.health.silenceMs).toBe(3 * 60_000);
    expect(config.api.readTokens).toEqual(["a", "b"]);
  });

  it("parses once per env object", () => {
    const vars = { FOLLOWUP_QUIET_MS: "100" };
    expect(readConfig(vars)).toBe(readConfig(vars));
    expect(readConfig({ ...vars })).not.toBe(readConfig(vars));
  });

  it("never throws itself: a bad value throws ConfigError, naming it, only where its section is read", () => {
    const config = readConfig({ FOLLOWUP_PARALLELISM: "many", HEALTH_MIN_COVERAGE: "most" });

    expect(() => config.followup).toThrow(ConfigError);
    expect(() => config.followup).toThrow(/FOLLOWUP_PARALLELISM/);
    expect(() => config.health).toThrow(/HEALTH_MIN_COVERAGE/);
    expect(() => config.health).not.toThrow(/FOLLOWUP_PARALLELISM/);
    expect(config.push.signatureMode).toBe("enforce");
    expect(config.omisell.rateLimit).toEqual({ capacity: 100, windowMs: 60_000 });
    expect(config.retention.retentionMs).toBe(90 * 86_400_000);
    expect(config.forward.destination).toBeNull();
  });
});

describe("the sale-day settings", () => {
  it("default to adaptive follow-up, a 120 s freshness target, 80 % of the bucket and a 600 s health threshold", () => {
    const config = readConfig({});
    expect(config.followup).toMatchObject({ detail: "adaptive", freshnessTargetMs: 120_000 });
    expect(config.omisell.budgetShare).toBe(0.8);
    expect(config.health.freshnessP95Seconds).toBe(600);
  });

  it("read FOLLOWUP_DETAIL, FOLLOWUP_FRESHNESS_SECONDS and HEALTH_FRESHNESS_P95_SECONDS", () => {
    const config = readConfig({
      FOLLOWUP_DETAIL: "always",
      FOLLOWUP_FRESHNESS_SECONDS: "12",
      HEALTH_FRESHNESS_P95_SECONDS: "300",
    });
    expect(config.followup).toMatchObject({ detail: "always", freshnessTargetMs: 12_000 });
    expect(config.health.freshnessP95Seconds).toBe(300);
  });

  it.each([
    ["FOLLOWUP_DETAIL", "sometimes", "followup"],
    ["FOLLOWUP_FRESHNESS_SECONDS", "4", "followup"],
    ["FOLLOWUP_FRESHNESS_SECONDS", "soon", "followup"],
    ["HEALTH_FRESHNESS_P95_SECONDS", "0", "health"],
  ] as const)("refuse %s=%s, naming it, in the %s section only", (name, value, section) => {
    const config = readConfig({ [name]: value });
    expect(() => config[section]).toThrow(new RegExp(name));
    expect(config.push.signatureMode).toBe("enforce");
  });
});

describe("a bad setting of one section", () => {
  it("still lets the read API answer when a follow-up setting is unusable", async () => {
    const res = await fetchWithEnv(
      new Request(`${BASE}/api/events?limit=1`, { headers: { authorization: `Bearer ${READ_TOKEN}` } }),
      { FOLLOWUP_QUIET_MS: "soon" },
    );
    expect(res.status).toBe(200);
  });

  it("answers 503 not_configured naming the variable where its own section is read", async () => {
    const res = await fetchWithEnv(new Request(`${BASE}/health/pipeline`), { HEALTH_MIN_LISTED: "plenty" });
    expect(res.status).toBe(503);
    expect(await res.json()).toEqual({ error: "not_configured", message: "invalid: HEALTH_MIN_LISTED" });
  });

  it("keeps the worker's own configuration readable", () => {
    expect(() => readConfig(env).followup).not.toThrow();
  });
});
