/**
 * Vars and secrets, parsed once per `env` object with zod. Every module reads configuration
 * through `readConfig(env)` (the push endpoint through `readPushConfig(env)`), never from `env`
 * directly, so defaults and validation live here. Durations are handed out in milliseconds
 * (`RETENTION_MS`, `CLAIM_LEASE_MS`, `SWEEP_AFTER_MS`) next to the vars they come from.
 */
import { z } from "zod";
import { log } from "./lib/log";
import { decodeWebhookSecret } from "./lib/webhook-secret";

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
      return { capacity: calls ?? 0, windowMs: (seconds ?? 0) * 1000 };
    })
    .refine((limit) => limit.capacity >= 1 && limit.windowMs >= 1000),
);

const Vars = z.object({
  OMISELL_PUSH_SECRET: list,
  SIGNATURE_MODE: z.enum(["enforce", "report", "off"]).optional().default("enforce"),
  /** Which signature scheme counts: `auto` (HMAC, then static), or one pinned. */
  SIGNATURE_SCHEME: z.enum(["auto", "hmac", "static"]).optional().default("auto"),
  PUBLIC_CALLBACK_URL: optionalText.pipe(z.url().optional()),
  READ_API_TOKENS: list,
  ADMIN_API_TOKENS: list,
  CORS_ORIGINS: list,
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
  OMISELL_API_TIMEOUT_MS: int(10_000, 100, 120_000),
  FOLLOWUP_PARALLELISM: int(4, 1, 50),
  FOLLOWUP_MAX_RETRIES: int(8, 0, 100),
  FOLLOWUP_BACKOFF_BASE_SECONDS: int(10, 1, 3600),
  FOLLOWUP_BACKOFF_MAX_SECONDS: int(3600, 1, 43_200),
  /**
   * How long an order must go without a new event before it is fetched (a busy order: at most once
   * per window). Omisell pushes one change of an order as a burst within a few seconds; 5 s lets
   * one fetch cover the burst. 0 fetches at once.
   */
  FOLLOWUP_QUIET_MS: int(5_000, 0, 60_000),
  SWEEP_AFTER_SECONDS: int(300, 10, 86_400),
  /**
   * An event whose first message was never seen by the consumer is re-sent by the sweeper after
   * this long even when nothing shows the queue lost it (it may be waiting in a backlog).
   */
  SWEEP_LOST_AFTER_SECONDS: int(1_800, 10, 604_800),
  RETENTION_DAYS: int(90, 1, 3650),
  CLAIM_LEASE_SECONDS: int(30, 1, 600),
});

const SECOND_MS = 1000;
const DAY_MS = 86_400_000;

/** The durations of `vars` in milliseconds, the unit the code uses. */
function withMilliseconds<V extends Partial<z.infer<typeof Vars>>>(vars: V) {
  return {
    ...vars,
    RETENTION_MS: (vars.RETENTION_DAYS ?? 0) * DAY_MS,
    CLAIM_LEASE_MS: (vars.CLAIM_LEASE_SECONDS ?? 0) * SECOND_MS,
    SWEEP_AFTER_MS: (vars.SWEEP_AFTER_SECONDS ?? 0) * SECOND_MS,
    SWEEP_LOST_AFTER_MS: (vars.SWEEP_LOST_AFTER_SECONDS ?? 0) * SECOND_MS,
  };
}

const ConfigSchema = Vars.transform(withMilliseconds);

export type Config = z.output<typeof ConfigSchema>;

/**
 * What the push endpoint needs, parsed on its own: a bad value elsewhere (a follow-up or API
 * setting) must not stop pushes from being stored, since Omisell gives up on them for good.
 */
const PushConfigSchema = Vars.pick({
  OMISELL_PUSH_SECRET: true,
  SIGNATURE_MODE: true,
  SIGNATURE_SCHEME: true,
  PUBLIC_CALLBACK_URL: true,
  RETENTION_DAYS: true,
  CLAIM_LEASE_SECONDS: true,
}).transform(({ OMISELL_PUSH_SECRET, SIGNATURE_MODE, SIGNATURE_SCHEME, PUBLIC_CALLBACK_URL, ...durations }) => {
  const { RETENTION_MS, CLAIM_LEASE_MS } = withMilliseconds(durations);
  return { OMISELL_PUSH_SECRET, SIGNATURE_MODE, SIGNATURE_SCHEME, PUBLIC_CALLBACK_URL, RETENTION_MS, CLAIM_LEASE_MS };
});

export type PushConfig = z.output<typeof PushConfigSchema>;

/**
 * Reconciliation and pipeline health, parsed on their own (a bad threshold must not stop the
 * API) and handed out in ms. RECONCILE_EVERY_MINUTES = 0 turns reconciliation off.
 */
const MINUTE_MS = 60_000;
const PipelineConfigSchema = z
  .object({
    RECONCILE_EVERY_MINUTES: int(15, 0, 1440),
    HEALTH_BACKLOG_MAX_MINUTES: int(30, 1, 10_080),
    HEALTH_FAILURES_WINDOW_MINUTES: int(60, 1, 10_080),
    HEALTH_SILENCE_MINUTES: int(120, 1, 10_080),
    HEALTH_MIN_COVERAGE: z.coerce.number().min(0).max(1).optional().default(0.9),
    HEALTH_MIN_LISTED: int(20, 1, 1_000_000),
  })
  .transform((vars) => ({
    reconcileEveryMs: vars.RECONCILE_EVERY_MINUTES * MINUTE_MS,
    backlogMaxMs: vars.HEALTH_BACKLOG_MAX_MINUTES * MINUTE_MS,
    failuresWindowMs: vars.HEALTH_FAILURES_WINDOW_MINUTES * MINUTE_MS,
    silenceMs: vars.HEALTH_SILENCE_MINUTES * MINUTE_MS,
    minCoverage: vars.HEALTH_MIN_COVERAGE,
    minListed: vars.HEALTH_MIN_LISTED,
  }));

export type PipelineConfig = z.infer<typeof PipelineConfigSchema>;

/** Thrown when a var has a value that cannot be used; mapped to 503 `not_configured`. */
export class ConfigError extends Error {
  constructor(readonly fields: string[]) {
    super(`invalid configuration: ${fields.join(", ")}`);
  }
}

function cachedParser<T>(schema: z.ZodType<T>) {
  const cache = new WeakMap<object, T>();
  return (env: object): T => {
    const cached = cache.get(env);
    if (cached) return cached;
    const parsed = schema.safeParse(env);
    if (!parsed.success) {
      throw new ConfigError([...new Set(parsed.error.issues.map((issue) => String(issue.path[0])))]);
    }
    cache.set(env, parsed.data);
    return parsed.data;
  };
}

/** The whole configuration, parsed once per `env` object. */
export const readConfig: (env: object) => Config = cachedParser(ConfigSchema);

/** The push endpoint's part of it, parsed once per `env` object. */
export const readPushConfig: (env: object) => PushConfig = cachedParser(PushConfigSchema);

/*
 * Forwarding (FORWARD_URL, FORWARD_SECRET, FORWARD_TIMEOUT_MS, FORWARD_BACKOFF_BASE_SECONDS) is
 * parsed apart from the rest and never throws: a bad value is logged once per `env` object and
 * turns forwarding off, so it can never stop pushes or follow-ups. FORWARD_URL unset = off.
 */
const ForwardConfigSchema = z.object({
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

export type ForwardConfig = { url: string; key: Uint8Array; timeoutMs: number; backoffBaseSeconds: number };

const forwardConfigs = new WeakMap<object, ForwardConfig | null>();

/** The forwarding settings, or null when forwarding is off (unset, or refused with a log line). */
export function readForwardConfig(env: object): ForwardConfig | null {
  if (forwardConfigs.has(env)) return forwardConfigs.get(env) ?? null;
  const parsed = ForwardConfigSchema.safeParse(env);
  let config: ForwardConfig | null = null;
  if (!parsed.success) {
    const fields = Object.fromEntries(parsed.error.issues.map((issue) => [String(issue.path[0]), issue.message]));
    log("error", "forward_config_invalid", { fields, forwarding: "off" });
  } else if (parsed.data.FORWARD_URL && !parsed.data.FORWARD_SECRET) {
    log("error", "forward_config_invalid", {
      fields: { FORWARD_SECRET: "required when FORWARD_URL is set" },
      forwarding: "off",
    });
  } else if (parsed.data.FORWARD_URL && parsed.data.FORWARD_SECRET) {
    config = {
      url: parsed.data.FORWARD_URL,
      key: parsed.data.FORWARD_SECRET,
      timeoutMs: parsed.data.FORWARD_TIMEOUT_MS,
      backoffBaseSeconds: parsed.data.FORWARD_BACKOFF_BASE_SECONDS,
    };
  }
  forwardConfigs.set(env, config);
  return config;
}

/** Reconciliation and health thresholds, parsed once per `env` object. */
export const readPipelineConfig: (env: object) => PipelineConfig = cachedParser(PipelineConfigSchema);
