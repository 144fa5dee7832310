/** The sections of the config: one zod schema per concern, from the vars as deployed to the shape the code uses. */
import { z } from "zod";
import { flag, int, list, optionalText, webhookKey } from "../lib/env-fields";

const SECOND_MS = 1000;
const MINUTE_MS = 60_000;
const DAY_MS = 86_400_000;

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
export const SECTIONS = {
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

  /**
   * Dashboard sessions: the key they are signed with. Unset, sessions are signed with a key
   * derived from the token lists (auth/session-seal.ts), and any change of a token list ends them.
   */
  session: z
    .object({ SESSION_SECRET: optionalText.pipe(z.string().min(16, "at least 16 characters").optional()) })
    .transform((vars) => ({ secret: vars.SESSION_SECRET })),

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

  /** Destinations (docs/forwarding.md): when a failing one is disabled, which URLs are allowed. */
  destinations: z
    .object({
      DESTINATION_DISABLE_AFTER_HOURS: z.coerce.number().min(0.01).max(8760).optional().default(72),
      ALLOW_HTTP_DESTINATIONS: flag(false),
    })
    .transform((vars) => ({
      /** A destination failing without a single success this long is disabled (an alert goes out). */
      disableAfterMs: Math.round(vars.DESTINATION_DISABLE_AFTER_HOURS * 3_600_000),
      /** `http://` allowed to any host (development); else only to localhost and 127.0.0.1. */
      allowHttp: vars.ALLOW_HTTP_DESTINATIONS,
    })),

  /** Alerts (ALERT_URL unset: off): where they go, in which format, how often one may repeat. */
  alerts: z
    .object({
      ALERT_URL: optionalText.pipe(
        z.url({ protocol: /^https?$/, error: "must be an absolute http(s) URL" }).optional(),
      ),
      ALERT_SECRET: webhookKey,
      ALERT_FORMAT: z.enum(["slack", "webhook"]).optional().default("slack"),
      ALERT_REPEAT_MINUTES: int(60, 0, 10_080),
    })
    .superRefine((vars, ctx) => {
      if (vars.ALERT_URL && vars.ALERT_FORMAT === "webhook" && !vars.ALERT_SECRET) {
        ctx.addIssue({ code: "custom", path: ["ALERT_SECRET"], message: "required when ALERT_FORMAT is webhook" });
      }
    })
    .transform((vars) => ({
      /** Null while alerts are off. */
      url: vars.ALERT_URL ?? null,
      format: vars.ALERT_FORMAT,
      /** The key of ALERT_SECRET (`webhook` format signs with it). */
      key: vars.ALERT_SECRET ?? null,
      /** The same kind and subject is not alerted again within this. */
      repeatMs: vars.ALERT_REPEAT_MINUTES * MINUTE_MS,
    })),

  /** How long events, snapshots, deliveries and reconciliation runs are kept. */
  retention: z
    .object({ RETENTION_DAYS: int(90, 1, 3650) })
    .transform((vars) => ({ retentionMs: vars.RETENTION_DAYS * DAY_MS })),
};
