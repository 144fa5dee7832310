/**
 * Omisell's token auth without state: obtain, refresh, read the expiry, and the single-flight
 * keeper (held by token-holder.ts).
 */
import { z } from "zod";
import type { OmisellConfig } from "../config";
import { fail, ok } from "../lib/result";
import { type OmisellConnection, type OmisellResult, requestOmisell } from "./client";

export type StoredToken = { token: string; refreshToken: string | null; expiresAt: number; obtainedAt?: number };

/**
 * Renew this long before `expired_time`, so no call goes out with a token about to lapse; for
 * short-lived tokens, half their lifetime instead (else every call would renew).
 */
export const REFRESH_MARGIN_MS = 5 * 60_000;
/** When the answer gives no usable expiry, treat the token as good for this long. */
export const DEFAULT_LIFETIME_MS = 30 * 60_000;

export function tokenIsFresh(token: StoredToken, nowMs: number): boolean {
  const lifetime = token.obtainedAt === undefined ? Number.POSITIVE_INFINITY : token.expiresAt - token.obtainedAt;
  return token.expiresAt - Math.min(REFRESH_MARGIN_MS, lifetime / 2) > nowMs;
}

/** `expired_time` as epoch ms. Small numbers are lifetimes in seconds, 10-digit ones epoch seconds. */
export function parseExpiredTime(value: unknown, nowMs: number): number | null {
  const numeric =
    typeof value === "number" ? value : typeof value === "string" && /^\d+$/.test(value) ? Number(value) : null;
  if (numeric !== null) {
    if (!Number.isFinite(numeric) || numeric <= 0) return null;
    if (numeric < 1e9) return nowMs + numeric * 1000;
    if (numeric < 1e12) return numeric * 1000;
    return numeric;
  }
  if (typeof value === "string") {
    const date = Date.parse(value);
    return Number.isNaN(date) ? null : date;
  }
  return null;
}

const TokenData = z.looseObject({
  token: z.string().min(1).optional(),
  access_token: z.string().min(1).optional(),
  access: z.string().min(1).optional(),
  refresh_token: z.string().min(1).nullish(),
  refresh: z.string().min(1).nullish(),
  expired_time: z.unknown().optional(),
});

/**
 * The token of an answer, read tolerantly: the token from `data.token`, `data.access_token` or
 * `data.access`, the refresh token from `data.refresh_token` or `data.refresh` (else
 * `previousRefresh`, the one we had), the expiry from `data.expired_time` (epoch seconds, epoch ms,
 * an ISO date, or a lifetime in seconds); answers without it have been seen, and such a token is
 * taken as good for DEFAULT_LIFETIME_MS.
 */
export function readTokenData(data: unknown, nowMs: number, previousRefresh: string | null = null): StoredToken | null {
  const parsed = TokenData.safeParse(data);
  if (!parsed.success) return null;
  const token = parsed.data.token ?? parsed.data.access_token ?? parsed.data.access;
  if (!token) return null;
  return {
    token,
    refreshToken: parsed.data.refresh_token ?? parsed.data.refresh ?? previousRefresh,
    expiresAt: parseExpiredTime(parsed.data.expired_time, nowMs) ?? nowMs + DEFAULT_LIFETIME_MS,
    obtainedAt: nowMs,
  };
}

function toToken(
  result: OmisellResult<unknown>,
  nowMs: number,
  what: string,
  previousRefresh: string | null = null,
): OmisellResult<StoredToken> {
  if (!result.ok) return fail({ ...result.reason, error: `${what}: ${result.reason.error}` });
  const token = readTokenData(result.value, nowMs, previousRefresh);
  if (!token) return fail({ kind: "retryable", error: `${what}: answer without a token` });
  return ok(token);
}

/**
 * A new token with the API key: integrations in production use `POST /api/v2/auth/token/get/`
 * with `{"api_key","api_secret"}` (OMISELL_TOKEN_PATH).
 */
export async function obtainToken(
  connection: OmisellConnection,
  config: OmisellConfig,
): Promise<OmisellResult<StoredToken>> {
  if (!config.apiKey) {
    return fail({ kind: "permanent", error: "token auth: OMISELL_API_KEY is not set" });
  }
  const body: Record<string, string> = { api_key: config.apiKey };
  if (config.apiSecret) body.api_secret = config.apiSecret;
  const result = await requestOmisell(connection, config.tokenPath, { method: "POST", body });
  return toToken(result, Date.now(), "getting an Omisell token");
}

/** `POST /api/v1/auth/token/refresh/` with `{"refresh"}` (OMISELL_REFRESH_PATH): unverified, see `renewToken`. */
export async function refreshToken(
  connection: OmisellConnection,
  config: OmisellConfig,
  refresh: string,
): Promise<OmisellResult<StoredToken>> {
  const result = await requestOmisell(connection, config.refreshPath, {
    method: "POST",
    body: { refresh },
  });
  return toToken(result, Date.now(), "refreshing the Omisell token", refresh);
}

/**
 * Refresh with the refresh token when there is one; if that fails in any way, obtain a new token
 * (the refresh endpoint is unverified). A getting that is throttled comes back throttled from
 * the client, so no call goes out while Omisell asks us to wait.
 */
export async function renewToken(
  connection: OmisellConnection,
  config: OmisellConfig,
  stored: StoredToken | undefined,
): Promise<OmisellResult<StoredToken>> {
  const refreshed = stored?.refreshToken ? await refreshToken(connection, config, stored.refreshToken) : null;
  if (refreshed?.ok) return refreshed;
  return obtainToken(connection, config);
}

export type TokenStore = {
  get(): Promise<StoredToken | undefined>;
  put(token: StoredToken): Promise<void>;
};

/**
 * Hands out the stored token while it is fresh and renews it otherwise, with at most one renewal
 * in flight: concurrent callers wait for the same one. `rejected` is a token the API answered 401
 * to; if it is still the stored one, it is renewed. Kept apart from the Durable Object so the
 * rules are tested with plain functions.
 */
export class TokenKeeper {
  private renewal: Promise<OmisellResult<string>> | null = null;

  constructor(
    private readonly store: TokenStore,
    private readonly renew: (stored: StoredToken | undefined) => Promise<OmisellResult<StoredToken>>,
    private readonly now: () => number = Date.now,
  ) {}

  async getToken(rejected?: string): Promise<OmisellResult<string>> {
    const stored = await this.store.get();
    if (stored && stored.token !== rejected && tokenIsFresh(stored, this.now())) return ok(stored.token);
    if (!this.renewal) {
      this.renewal = this.renewAndStore(stored).finally(() => {
        this.renewal = null;
      });
    }
    return this.renewal;
  }

  private async renewAndStore(stored: StoredToken | undefined): Promise<OmisellResult<string>> {
    const result = await this.renew(stored);
    if (!result.ok) return result;
    await this.store.put(result.value);
    return ok(result.value.token);
  }
}
