/** The doctor's `omisell` check: one call to the Omisell API through the rate limiter, with the deployment's credentials. */
import { type OmisellConfig, readConfig } from "../config";
import { omisellAuth } from "../omisell/auth";
import { type OmisellConnection, requestOmisellAuthorized } from "../omisell/client";
import { omisellConnection } from "../omisell/connection";
import type { ApiFailure } from "../omisell/failure";
import { ORDER_LIST_PATH, pathWithQuery } from "../omisell/order-list-walk";
import { type Finding, fail, pass } from "./check";

/** The call's own timeout: the check answers within the doctor's bound even when Omisell does not. */
const CALL_TIMEOUT_MS = 8_000;

const KEY_OF_MODE = {
  account: "OMISELL_ACCOUNT_KEY",
  partner: "OMISELL_PARTNER_KEY",
  token: "OMISELL_API_KEY",
} as const;

/** What a failed call means, in the doctor's words. */
function describeFailure(failure: ApiFailure, config: OmisellConfig): Finding {
  const key = KEY_OF_MODE[config.authMode];
  const refused =
    failure.unauthorized === true ||
    failure.status === 401 ||
    failure.status === 403 ||
    /^Omisell error 40[13]\b/.test(failure.error);
  if (refused) {
    return fail(
      `credentials refused (${failure.status ? `HTTP ${failure.status}` : "Omisell error"}, auth mode ${config.authMode})`,
      `check ${key} (npx wrangler secret put ${key}) and OMISELL_AUTH_MODE; the key comes from Omisell's API settings`,
    );
  }
  if (failure.error.startsWith("Omisell API auth:")) {
    return fail(
      failure.error.replace("Omisell API auth: ", "not called: "),
      "set it (npx wrangler secret put NAME, or wrangler.toml [vars]); reconciliation needs it too",
    );
  }
  if (failure.kind === "throttled") {
    return pass(
      `not called: Omisell's budget is in use (${failure.error}); the credentials are checked on the next run`,
    );
  }
  if (failure.kind === "retryable" && failure.status === undefined) {
    return fail(
      `unreachable at ${config.apiBase} (${failure.error})`,
      "check OMISELL_API_BASE (https://api.omisell.com) and Omisell's status; follow-ups retry meanwhile",
    );
  }
  return fail(
    `Omisell answered with an error: ${failure.error}`,
    "look at the worker's log (npx wrangler tail) and at Omisell's status",
  );
}

/**
 * One call, through the rate limiter at reconciliation's priority: in `token` mode a token from
 * the token holder (which renews it with Omisell when it holds none); otherwise the order list of
 * the last minute, one result per page. A refusal (401, 403) is "credentials refused", no answer
 * at all "unreachable".
 */
export async function checkOmisell(env: Env, now: number): Promise<Finding> {
  const config = readConfig(env).omisell;
  const connection: OmisellConnection = {
    ...omisellConnection(env, config, null, "reconcile"),
    timeoutMs: Math.min(config.timeoutMs, CALL_TIMEOUT_MS),
  };
  const auth = omisellAuth(env, config, null);
  if (config.authMode === "token") {
    const headers = await auth.headers();
    return headers.ok ? pass(`a token is held for ${config.apiBase}`) : describeFailure(headers.reason, config);
  }
  const query = {
    updated_from: String(Math.floor((now - 60_000) / 1000)),
    updated_to: String(Math.ceil(now / 1000)),
    status_group: "all",
    page: "1",
    page_size: "1",
  };
  const result = await requestOmisellAuthorized(connection, auth, pathWithQuery(ORDER_LIST_PATH, query));
  if (!result.ok) return describeFailure(result.reason, config);
  return pass(`the order list answered at ${config.apiBase} (auth mode ${config.authMode})`);
}
