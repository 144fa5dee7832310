/** Every var and secret of the worker, parsed with zod into one object, once per `env` object. */
import type { z } from "zod";
import { type ForwardConfig, parseForward } from "./forward";
import { SECTIONS } from "./sections";

export type { ForwardConfig, ForwardDestination } from "./forward";

type Sections = { [Name in keyof typeof SECTIONS]: z.output<(typeof SECTIONS)[Name]> };

/**
 * The whole configuration, one section per concern:
 * - `push` {secrets, signatureMode, signatureScheme, publicCallbackUrl, claimLeaseMs}
 * - `api` {readTokens, adminTokens, corsOrigins}; `session` {secret}
 * - `omisell` {apiBase, authMode, accountKey, partnerKey, sellerId, country, apiKey, apiSecret,
 *   tokenPath, refreshPath, rateLimit: {capacity, windowMs}, budgetShare, timeoutMs}
 * - `followup` {parallelism, maxRetries, backoff: {baseSeconds, maxSeconds}, quietMs, detail,
 *   freshnessTargetMs, sweepAfterMs, sweepLostAfterMs}
 * - `forward` {destination: {url, key} | null, timeoutMs, backoffBaseSeconds}
 * - `reconcile` {everyMs}; `health` {backlogMaxMs, failuresWindowMs, silenceMs, minCoverage, minListed,
 *   freshnessP95Seconds}
 * - `destinations` {disableAfterMs, allowHttp}; `alerts` {url, format, key, repeatMs}
 * - `retention` {retentionMs}
 * Reading a section whose vars are unusable throws `ConfigError` naming them (an answer of 503
 * `not_configured`); the other sections read as usual. `forward` never throws.
 * @example readConfig(env).followup.quietMs // 5000 unless FOLLOWUP_QUIET_MS says otherwise
 */
export type Config = Sections & { forward: ForwardConfig };

export type PushConfig = Config["push"];
export type ApiConfig = Config["api"];
export type OmisellConfig = Config["omisell"];
export type FollowupConfig = Config["followup"];
export type DestinationsConfig = Config["destinations"];
export type AlertsConfig = Config["alerts"];

/** Thrown when a var has a value that cannot be used; mapped to 503 `not_configured`. */
export class ConfigError extends Error {
  constructor(readonly fields: string[]) {
    super(`invalid configuration: ${fields.join(", ")}`);
  }
}

function parseConfig(env: object): Config {
  const config: Record<string, unknown> = { forward: parseForward(env) };
  for (const [name, schema] of Object.entries(SECTIONS)) {
    const parsed = schema.safeParse(env);
    if (parsed.success) {
      config[name] = parsed.data;
      continue;
    }
    const error = new ConfigError([...new Set(parsed.error.issues.map((issue) => String(issue.path[0])))]);
    Object.defineProperty(config, name, {
      enumerable: true,
      get() {
        throw error;
      },
    });
  }
  return config as Config;
}

const configs = new WeakMap<object, Config>();

/** The configuration of `env`, parsed on the first call for that object. Never throws itself. */
export function readConfig(env: object): Config {
  let config = configs.get(env);
  if (!config) {
    config = parseConfig(env);
    configs.set(env, config);
  }
  return config;
}
