/** The three ways omisell-push authenticates to the Omisell API (OMISELL_AUTH_MODE). */
import type { OmisellConfig } from "../config";
import { describeError } from "../errors";
import { fail, ok } from "../lib/result";
import type { OmisellAuth, OmisellResult } from "./client";

/** One token holder for the whole deployment. */
export const TOKEN_HOLDER_NAME = "omisell-api-token";

function missing(name: string): OmisellResult<Record<string, string>> {
  return fail({ kind: "permanent", error: `Omisell API auth: ${name} is not set` });
}

function staticAuth(headers: OmisellResult<Record<string, string>>): OmisellAuth {
  return { headers: async () => headers, reauthenticate: async () => false };
}

/**
 * The credentials of a call:
 * - `account`: `Authorization: Account <OMISELL_ACCOUNT_KEY>`;
 * - `partner`: `Authorization: Partner <OMISELL_PARTNER_KEY>` with `Seller-ID` (the event's
 *   seller, else OMISELL_SELLER_ID) and `Country` (OMISELL_COUNTRY);
 * - `token`: `Authorization: Omi <token>`, the token held by the OmisellTokenHolder object.
 * A missing key is a permanent failure with a message naming the variable.
 */
export function omisellAuth(env: Env, config: OmisellConfig, sellerId: string | null): OmisellAuth {
  switch (config.authMode) {
    case "account":
      return staticAuth(
        config.accountKey ? ok({ authorization: `Account ${config.accountKey}` }) : missing("OMISELL_ACCOUNT_KEY"),
      );
    case "partner": {
      const seller = sellerId ?? config.sellerId;
      if (!config.partnerKey) return staticAuth(missing("OMISELL_PARTNER_KEY"));
      if (!seller) return staticAuth(missing("OMISELL_SELLER_ID (and the push has no seller_id)"));
      if (!config.country) return staticAuth(missing("OMISELL_COUNTRY"));
      return staticAuth(
        ok({
          authorization: `Partner ${config.partnerKey}`,
          "seller-id": seller,
          country: config.country,
        }),
      );
    }
    case "token":
      return tokenAuth(env);
  }
}

function tokenAuth(env: Env): OmisellAuth {
  const holder = env.OMISELL_TOKEN.get(env.OMISELL_TOKEN.idFromName(TOKEN_HOLDER_NAME));
  let current: string | undefined;
  let rejected: string | undefined;
  return {
    async headers() {
      try {
        const answer = await holder.getToken(rejected);
        if (!answer.ok) return answer;
        current = answer.value;
        return ok({ authorization: `Omi ${answer.value}` });
      } catch (err) {
        // The holder object was reset, overloaded or unreachable: like a network error, retry later.
        return fail({ kind: "retryable", error: `Omisell token holder: ${describeError(err)}` });
      }
    },
    /** Asks the holder for a new token instead of the one the API just refused (once). */
    async reauthenticate() {
      if (rejected !== undefined || current === undefined) return false;
      rejected = current;
      return true;
    },
  };
}
