/** Every var and secret of the worker, parsed with zod into one object, once per `env` object. */
import { z } from "zod";
import { log } from "./lib/log";
import { decodeWebhookSecret } from "./lib/webhook-secret";

const SECOND_MS = 1000;
const MINUTE_MS = 60_000;
const DAY_MS = 86_400_000;

const list = z
  .string()
  .optional()
  .transform((value) =>
    (value ?? "")
      .split(",")
      .map((item) => item.trim())
      .filter((item) => item.length > 0),
  );

const int = (fallback: number, min: number, max: number) =>
  z.coerce.number().int().min(min).max(max).optional().default(fallback);

const optionalText = z
  .string()
  .optional()
  .transform((value) => (value?.trim() ? value.trim() : undefined));

/** Omisell's bucket as `<calls>/<seconds>` (default `100/60`), handed out as {capacity, windowMs}. */
const rateLimit = optionalText.pipe(
  z
    .string()
    .regex(/^\d+\s*\/\s*\d+$/)
    .optional()
    .transform((value) => {
      const [calls, seconds] = (value ?? "100/60").split("/").map((part) => Number(part.trim()));
      return { capacity: calls ?? 0, windowMs: (seconds ?? 0) * SECOND_MS };
    })
    .refine((limit) => limit.capacity >= 1 && limit.windowMs >= 1000),
);

/**
 * The sections of the config, one per concern: each a zod schema from the vars it reads (names
 * as deployed, the contract) to the shape the code uses (camelCase, units in the names). A
 * section is parsed on its own, so a bad value stops only the code that reads its section.
 * To add a section, add an entry here: its type joins `Config` by itself.
 */
const SECTIONS = {
  /** The push endpoint. Kept apart from everything else: Omisell drops a push it cannot deliver for good. */
  push: z
    .object({
      OMISELL_PUSH_SECRET: list,
      SIGNATURE_MODE: z.enum(["enforce", "report", "off"]).optional().default("enforce"),
      /** Which signature scheme counts: `auto` (HMAC, then static), or one pinned. */
      SIGNATURE_SCHEME: z.enum(["auto", "hmac", "static"]).optional().default("auto"),
      PUBLIC_CALLBACK_URL: optionalText.pipe(z.url().optional()),
      CLAIM_LEASE_SECONDS: int(30, 1, 600),
    })
    .transform((vars) => ({
      secrets: vars.OMISELL_PUSH_SECRET,
      signatureMode: vars.SIGNATURE_MODE,
      signatureScheme: vars.SIGNATURE_SCHEME,
      publicCallbackUrl: vars.PUBLIC_CALLBACK_URL,
      /** How long a copy of a push in flight holds other copies off. */
      claimLeaseMs: vars.CLAIM_LEASE_SECONDS * SECOND_MS,
    })),

  /** The read API and the dashboard: who may read, who may act, which origins may call. */
  api: z.object({ READ_API_TOKENS: list, ADMIN_API_TOKENS: list, CORS_ORIGINS: list }).transform((vars) => ({
    readTokens: vars.READ_API_TOKENS,
    adminTokens: vars.ADMIN_API_TOKENS,
    corsOrigins: vars.CORS_ORIGINS,
  })),

  /** The Omisell API: where, with which credentials (see omisell/auth.ts), how fast. */
  omisell: z
    .object({
      OMISELL_API_BASE: optionalText.transform((value) => (value ?? "https://api.omisell.com").replace(/\/+$/, "")),
      OMISELL_AUTH_MODE: z.enum(["account", "partner", "token"]).optional().default("account"),
      OMISELL_ACCOUNT_KEY: optionalText,
      OMISELL_PARTNER_KEY: optionalText,
      OMISELL_SELLER_ID: optionalText,
      OMISELL_COUNTRY: optionalText,
      OMISELL_API_KEY: optionalText,
      OMISELL_API_SECRET: optionalText,
      OMISELL_TOKEN_PATH: optionalText.transform((value) => value ?? "/api/v2/auth/token/get/"),
      OMISELL_REFRESH_PATH: optionalText.transform((value) => value ?? "/api/v1/auth/token/refresh/"),
      OMISELL_RATE_LIMIT: rateLimit,
      OMISELL_BUDGET_SHARE: z.coerce.number().min(0.1).max(1).optional().default(0.8),
      OMISELL_API_TIMEOUT_MS: int(10_000, 100, 120_000),
    })
    .transform((vars) => ({
      apiBase: vars.OMISELL_API_BASE,
      authMode: vars.OMISELL_AUTH_MODE,
      accountKey: vars.OMISELL_ACCOUNT_KEY,
      partnerKey: vars.OMISELL_PARTNER_KEY,
      sellerId: vars.OMISELL_SELLER_ID,
      country: vars.OMISELL_COUNTRY,
      apiKey: vars.OMISELL_API_KEY,
      apiSecret: vars.OMISELL_API_SECRET,
      tokenPath: vars.OMISELL_TOKEN_PATH,
      refreshPath: vars.OMISELL_REFRESH_PATH,
      rateLimit: vars.OMISELL_RATE_LIMIT,
      /**
       * The share of the bucket (0.1 to 1) our calls may fill; the rest stays free for the seller's
       * other tools, whose calls Omisell's call-limit header shows us.
       */
      budgetShare: vars.OMISELL_BUDGET_SHARE,
      timeoutMs: vars.OMISELL_API_TIMEOUT_MS,
    })),

  /** The follow-up queue's consumer and the sweeper that re-sends lost follow-ups. */
  followup: z
    .object({
      FOLLOWUP_PARALLELISM: int(4, 1, 50),
      FOLLOWUP_MAX_RETRIES: int(8, 0, 100),
      FOLLOWUP_BACKOFF_BASE_SECONDS: int(10, 1, 3600),
      FOLLOWUP_BACKOFF_MAX_SECONDS: int(3600, 1, 43_200),
      FOLLOWUP_QUIET_MS: int(5_000, 0, 60_000),
      FOLLOWUP_DETAIL: z.enum(["adaptive", "always"]).optional().default("adaptive"),
      FOLLOWUP_FRESHNESS_SECONDS: int(120, 5, 3_600),
      SWEEP_AFTER_SECONDS: int(300, 10, 86_400),
      SWEEP_LOST_AFTER_SECONDS: int(1_800, 10, 604_800),
    })
    .transform((vars) => ({
      /** Omisell calls in flight per consumer invocation. */
      parallelism: vars.FOLLOWUP_PARALLELISM,
      /** Retries after the first try; the try after the last one fails the event. */
      maxRetries: vars.FOLLOWUP_MAX_RETRIES,
      backoff: { baseSeconds: vars.FOLLOWUP_BACKOFF_BASE_SECONDS, maxSeconds: vars.FOLLOWUP_BACKOFF_MAX_SECONDS },
      /**
       * How long an order must go without a new event before it is fetched (a busy order: at most
       * once per window). Omisell pushes one change of an order as a burst within a few seconds;
       * 5 s lets one fetch cover the burst. 0 fetches at once.
       */
      quietMs: vars.FOLLOWUP_QUIET_MS,
      /**
       * `always`: every change is settled by a fetch of the order's detail (v2). `adaptive`: while the
       * orders waiting cannot all be fetched within `freshnessTargetMs` at the budget's rate, status
       * changes of orders with a stored detail are settled from the order list (followup/choice.ts).
       */
      detail: vars.FOLLOWUP_DETAIL,
      /** How soon after its arrival an event should be settled (the adaptive follow-up's target). */
      freshnessTargetMs: vars.FOLLOWUP_FRESHNESS_SECONDS * SECOND_MS,
      /** A follow-up idle this long is overdue: the sweeper sends it again. */
      sweepAfterMs: vars.SWEEP_AFTER_SECONDS * SECOND_MS,
      /**
       * An event whose first message was never seen by the consumer is re-sent after this long even
       * when nothing shows the queue lost it (it may be waiting in a backlog).
       */
      sweepLostAfterMs: vars.SWEEP_LOST_AFTER_SECONDS * SECOND_MS,
    })),

  /** Reconciliation's period; 0 turns the periodic run off (manual runs still work). */
  reconcile: z
    .object({ RECONCILE_EVERY_MINUTES: int(15, 0, 1440) })
    .transform((vars) => ({ everyMs: vars.RECONCILE_EVERY_MINUTES * MINUTE_MS })),

  /** The thresholds of /health/pipeline. */
  health: z
    .object({
      HEALTH_BACKLOG_MAX_MINUTES: int(30, 1, 10_080),
      HEALTH_FAILURES_WINDOW_MINUTES: int(60, 1, 10_080),
      HEALTH_SILENCE_MINUTES: int(120, 1, 10_080),
      HEALTH_MIN_COVERAGE: z.coerce.number().min(0).max(1).optional().default(0.9),
      HEALTH_MIN_LISTED: int(20, 1, 1_000_000),
      HEALTH_FRESHNESS_P95_SECONDS: int(600, 1, 604_800),
    })
    .transform((vars) => ({
      backlogMaxMs: vars.HEALTH_BACKLOG_MAX_MINUTES * MINUTE_MS,
      failuresWindowMs: vars.HEALTH_FAILURES_WINDOW_MINUTES * MINUTE_MS,
      silenceMs: vars.HEALTH_SILENCE_MINUTES * MINUTE_MS,
      minCoverage: vars.HEALTH_MIN_COVERAGE,
      minListed: vars.HEALTH_MIN_LISTED,
      /** `freshness` when the last hour's p95 (arrival to settled) is above this. */
      freshnessP95Seconds: vars.HEALTH_FRESHNESS_P95_SECONDS,
    })),

  /** How long events, snapshots, deliveries and reconciliation runs are kept. */
  retention: z
    .object({ RETENTION_DAYS: int(90, 1, 3650) })
    .transform((vars) => ({ retentionMs: vars.RETENTION_DAYS * DAY_MS })),
};

/*
 * Forwarding is parsed apart from the sections and never throws: a bad value is logged once per
 * `env` object and turns forwarding off, so it can never stop pushes or follow-ups.
 */
const ForwardVars = z.object({
  FORWARD_URL: optionalText.pipe(z.url({ protocol: /^https?$/, error: "must be an absolute http(s) URL" }).optional()),
  FORWARD_SECRET: optionalText.transform((value, ctx) => {
    if (value === undefined) return undefined;
    const key = decodeWebhookSecret(value);
    if (!key) ctx.addIssue({ code: "custom", message: "must be whsec_ + the base64 of at least 24 bytes" });
    return key ?? undefined;
  }),
  FORWARD_TIMEOUT_MS: int(10_000, 100, 120_000),
  // Seconds, as the queue's delaySeconds takes them: the first wait after a failed attempt.
  FORWARD_BACKOFF_BASE_SECONDS: int(30, 1, 3600),
});

/** Where settled events are forwarded: FORWARD_URL, and the key of FORWARD_SECRET. */
export type ForwardDestination = { url: string; key: Uint8Array };

export type ForwardConfig = {
  /** Null when forwarding is off: FORWARD_URL unset, or a forwarding var refused (logged). */
  destination: ForwardDestination | null;
  timeoutMs: number;
  backoffBaseSeconds: number;
};

const FORWARDING_OFF: ForwardConfig = { destination: null, timeoutMs: 10_000, backoffBaseSeconds: 30 };

function parseForward(env: object): ForwardConfig {
  const parsed = ForwardVars.safeParse(env);
  if (!parsed.success) {
    const fields = Object.fromEntries(parsed.error.issues.map((issue) => [String(issue.path[0]), issue.message]));
    log("error", "forward_config_invalid", { fields, forwarding: "off" });
    return FORWARDING_OFF;
  }
  const { FORWARD_URL: url, FORWARD_SECRET: key } = parsed.data;
  if (url && !key) {
    log("error", "forward_config_invalid", {
      fields: { FORWARD_SECRET: "required when FORWARD_URL is set" },
      forwarding: "off",
    });
    return FORWARDING_OFF;
  }
  return {
    destination: url && key ? { url, key } : null,
    timeoutMs: parsed.data.FORWARD_TIMEOUT_MS,
    backoffBaseSeconds: parsed.data.FORWARD_BACKOFF_BASE_SECONDS,
  };
}

type Sections = { [Name in keyof typeof SECTIONS]: z.output<(typeof SECTIONS)[Name]> };

/**
 * The whole configuration, one section per concern:
 * - `push` {secrets, signatureMode, signatureScheme, publicCallbackUrl, claimLeaseMs}
 * - `api` {readTokens, adminTokens, corsOrigins}
 * - `omisell` {apiBase, authMode, accountKey, partnerKey, sellerId, country, apiKey, apiSecret,
 *   tokenPath, refreshPath, rateLimit: {capacity, windowMs}, budgetShare, timeoutMs}
 * - `followup` {parallelism, maxRetries, backoff: {baseSeconds, maxSeconds}, quietMs, detail,
 *   freshnessTargetMs, sweepAfterMs, sweepLostAfterMs}
 * - `forward` {destination: {url, key} | null, timeoutMs, backoffBaseSeconds}
 * - `reconcile` {everyMs}; `health` {backlogMaxMs, failuresWindowMs, silenceMs, minCoverage, minListed,
 *   freshnessP95Seconds}
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
