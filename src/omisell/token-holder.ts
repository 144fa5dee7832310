/** OmisellTokenHolder: the one place that holds the Omisell API token in `token` auth mode. */
import { DurableObject } from "cloudflare:workers";
import { readConfig } from "../config";
import type { OmisellResult } from "./client";
import { omisellConnection } from "./connection";
import { renewToken, type StoredToken, TokenKeeper } from "./token";

const STORAGE_KEY = "token";

export type TokenAnswer = OmisellResult<string>;

/**
 * Every isolate uses the same token and only one renewal runs at a time (TokenKeeper). The token
 * lives in the object's storage, so it survives restarts and evictions; it is renewed
 * REFRESH_MARGIN_MS before `expired_time`, or at once when a caller reports a 401 for it. Its calls
 * to Omisell count against the same rate limiter as the calls the token is used for, at push
 * priority: every caller is waiting for the token.
 */
export class OmisellTokenHolder extends DurableObject<Env> {
  private readonly keeper = new TokenKeeper(
    {
      get: () => this.ctx.storage.get<StoredToken>(STORAGE_KEY),
      put: (token) => this.ctx.storage.put(STORAGE_KEY, token),
    },
    (stored) => {
      const config = readConfig(this.env).omisell;
      return renewToken(omisellConnection(this.env, config, null, "push"), config, stored);
    },
  );

  /** Whether a token is held, and until when; reads only (no renewal, no call to Omisell). */
  async describe(): Promise<{ held: boolean; expiresAt: number | null }> {
    const stored = await this.ctx.storage.get<StoredToken>(STORAGE_KEY);
    return { held: stored !== undefined, expiresAt: stored?.expiresAt ?? null };
  }

  /** A token to call the API with; `rejected`: the token a 401 came back for. */
  async getToken(rejected?: string): Promise<TokenAnswer> {
    return this.keeper.getToken(rejected);
  }
}
