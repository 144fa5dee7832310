/**
 * OmisellTokenHolder: the one place that holds the Omisell API token in `token` auth mode, so
 * every isolate uses the same token and only one refresh runs at a time. The token is kept in
 * the object's storage (it survives restarts); renewal happens REFRESH_MARGIN_MS before
 * `expired_time`, or at once when a caller reports that the API rejected the token (401).
 */
import { DurableObject } from "cloudflare:workers";
import { readConfig } from "../config";
import type { OmisellResult } from "./omisell-client";
import { obtainToken, refreshToken, type StoredToken, tokenIsFresh } from "./omisell-token";

const STORAGE_KEY = "token";

export type TokenAnswer = OmisellResult<string>;

export class OmisellTokenHolder extends DurableObject<Env> {
  /** The renewal in flight; concurrent callers wait for it instead of starting their own. */
  private renewal: Promise<TokenAnswer> | null = null;

  /**
   * A token to call the API with. `rejected`: the token a 401 came back for; if it is still the
   * stored one, it is renewed before answering.
   */
  async getToken(rejected?: string): Promise<TokenAnswer> {
    const stored = await this.ctx.storage.get<StoredToken>(STORAGE_KEY);
    if (stored && stored.token !== rejected && tokenIsFresh(stored, Date.now())) {
      return { ok: true, data: stored.token };
    }
    if (!this.renewal) {
      this.renewal = this.renew(stored).finally(() => {
        this.renewal = null;
      });
    }
    return this.renewal;
  }

  /** Refresh with the refresh token when there is one; if that fails, obtain a new token. */
  private async renew(stored: StoredToken | undefined): Promise<TokenAnswer> {
    const config = readConfig(this.env);
    const connection = { base: config.OMISELL_API_BASE, timeoutMs: config.OMISELL_API_TIMEOUT_MS };
    let result = stored?.refreshToken ? await refreshToken(connection, config, stored.refreshToken) : null;
    if (!result?.ok) result = await obtainToken(connection, config);
    if (!result.ok) return result;
    await this.ctx.storage.put(STORAGE_KEY, result.data);
    return { ok: true, data: result.data.token };
  }
}
