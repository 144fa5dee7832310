/**
 * Vars and secrets, parsed once per `env` object with zod. Every module reads configuration
 * through `readConfig(env)` (the push endpoint through `readPushConfig(env)`), never from `env`
 * directly, so defaults and validation live here.
 */
import { z } from "zod";

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

const ConfigSchema = z.object({
  OMISELL_PUSH_SECRET: list,
  SIGNATURE_MODE: z.enum(["enforce", "report", "off"]).optional().default("enforce"),
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
  SWEEP_AFTER_SECONDS: int(300, 10, 86_400),
  RETENTION_DAYS: int(90, 1, 3650),
  CLAIM_LEASE_SECONDS: int(30, 1, 600),
});

export type Config = z.infer<typeof ConfigSchema>;

/**
 * What the push endpoint needs, parsed on its own: a bad value elsewhere (a follow-up or API
 * setting) must not stop pushes from being stored, since Omisell gives up on them for good.
 */
const PushConfigSchema = ConfigSchema.pick({
  OMISELL_PUSH_SECRET: true,
  SIGNATURE_MODE: true,
  PUBLIC_CALLBACK_URL: true,
  RETENTION_DAYS: true,
  CLAIM_LEASE_SECONDS: true,
});

export type PushConfig = z.infer<typeof PushConfigSchema>;

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
