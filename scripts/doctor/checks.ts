/**
 * The doctor's two sources of checks: the Worker's own `GET /api/doctor` (admin token), and a
 * signed self-test push sent twice to `/webhooks/omisell`, which must be stored once and
 * recognised as a duplicate the second time.
 */
import { randomUUID } from "node:crypto";
import { signPush } from "../lib/push-signature.ts";

/** One line of the checklist: `fix` says what to do when `ok` is false. */
export type Check = { name: string; ok: boolean; detail: string; fix?: string };

/** The doctor could not get a checklist at all (unreachable, refused, not the Worker). */
export class DoctorUnavailable extends Error {}

const TIMEOUT_MS = 15_000;

/** Why a fetch failed, in a few words (`ECONNREFUSED`, `ENOTFOUND`, no answer in time). */
export function networkReason(err: unknown): string {
  const problem = err as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  if (problem.name === "TimeoutError") return `no answer within ${TIMEOUT_MS / 1000} s`;
  return problem.cause?.code ?? problem.cause?.message ?? problem.message ?? String(err);
}

function asCheck(raw: unknown): Check {
  const check = (raw ?? {}) as { name?: unknown; ok?: unknown; detail?: unknown; fix?: unknown };
  return {
    name: String(check.name ?? "(unnamed)"),
    ok: check.ok === true,
    detail: check.detail == null ? "" : String(check.detail),
    fix: check.fix == null || check.fix === "" ? undefined : String(check.fix),
  };
}

/**
 * The Worker's checks from `GET <base>/api/doctor`: `{ok, checks:[{name, ok, detail, fix}]}`
 * (config, d1, queues, durable_objects, omisell, cron, destinations, pushes). Throws
 * `DoctorUnavailable` with one clear sentence when there is no such answer.
 */
export async function fetchDoctorChecks(base: string, adminToken: string): Promise<Check[]> {
  const url = `${base}/api/doctor`;
  let response: Response;
  try {
    response = await fetch(url, {
      headers: { authorization: `Bearer ${adminToken}`, accept: "application/json" },
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
  } catch (err) {
    throw new DoctorUnavailable(`cannot reach ${base} (${networkReason(err)}): check --url`);
  }
  const text = await response.text();
  if (response.status === 401) {
    throw new DoctorUnavailable(
      `${url} refused the admin token (401): pass one of the worker's ADMIN_API_TOKENS with --admin-token`,
    );
  }
  if (response.status === 403) {
    throw new DoctorUnavailable(`${url} answered 403: that is a read token; the doctor needs one of ADMIN_API_TOKENS`);
  }
  if (response.status === 404) {
    throw new DoctorUnavailable(
      `${url} answered 404: the worker at --url is not omisell-push, or it predates the doctor (deploy the current version with npm run setup)`,
    );
  }
  let body: { ok?: unknown; checks?: unknown };
  try {
    body = JSON.parse(text);
  } catch {
    throw new DoctorUnavailable(
      `${url} answered ${response.status} with something that is not JSON: is --url the worker's address?`,
    );
  }
  if (!Array.isArray(body?.checks)) {
    throw new DoctorUnavailable(`${url} answered ${response.status} without a list of checks`);
  }
  return body.checks.map(asCheck);
}

type PushAnswer = { status: number; pushStatus: string | null; eventId: string | null } | { error: string };

async function sendPush(url: string, body: string, authorization: string): Promise<PushAnswer> {
  try {
    const response = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json", authorization },
      body,
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
    await response.arrayBuffer();
    return {
      status: response.status,
      pushStatus: response.headers.get("push-status"),
      eventId: response.headers.get("push-event-id"),
    };
  } catch (err) {
    return { error: networkReason(err) };
  }
}

const STORED = "selftest push stored";
const DUPLICATE = "selftest duplicate recognised";

function refusal(answer: PushAnswer): Pick<Check, "detail" | "fix"> {
  if ("error" in answer) return { detail: `cannot reach the push endpoint (${answer.error})`, fix: "check --url" };
  if (answer.status === 401) {
    return {
      detail: "the push secret does not match the worker's OMISELL_PUSH_SECRET (401)",
      fix:
        "pass the push secret the worker has (the one in the Omisell console), or set it with npx wrangler secret put OMISELL_PUSH_SECRET; " +
        "if Omisell signs another URL than --url (a custom domain, a proxy), pass it with --callback-url and set PUBLIC_CALLBACK_URL",
    };
  }
  if (answer.status === 503) {
    return {
      detail: "the worker has no push secret (503 not_configured)",
      fix: "npx wrangler secret put OMISELL_PUSH_SECRET (the secret shown in the Omisell console)",
    };
  }
  return {
    detail: `answered ${answer.status}${answer.pushStatus ? ` with Push-Status: ${answer.pushStatus}` : ""}`,
    fix: "look at the worker's log (npx wrangler tail) for the push_ lines of this request",
  };
}

/**
 * Sends one signed self-test push (`omisell_push.selftest`, a fresh `request_id`) to
 * `<base>/webhooks/omisell`, then the same bytes again. Two checks: the first must be answered
 * 200 `Push-Status: accepted`, the second `duplicate` with the same `Push-Event-Id`. The
 * signature covers `callbackUrl` (the URL Omisell signs), by default the push endpoint itself.
 */
export async function selftestPush(base: string, pushSecret: string, callbackUrl?: string): Promise<Check[]> {
  const url = `${base}/webhooks/omisell`;
  const body = JSON.stringify({
    event: "omisell_push.selftest",
    request_id: `selftest-${randomUUID()}`,
    timestamp: Math.floor(Date.now() / 1000),
  });
  const authorization = signPush(pushSecret, callbackUrl ?? url, body);

  const first = await sendPush(url, body, authorization);
  const stored = !("error" in first) && first.status === 200 && first.pushStatus === "accepted";
  if (!stored) {
    return [
      { name: STORED, ok: false, ...refusal(first) },
      { name: DUPLICATE, ok: false, detail: "not tried: the first push was not stored" },
    ];
  }
  const eventId = first.eventId ?? "";
  const storedCheck: Check = { name: STORED, ok: true, detail: `accepted as event ${eventId || "(no Push-Event-Id)"}` };

  const second = await sendPush(url, body, authorization);
  if ("error" in second || second.status !== 200)
    return [storedCheck, { name: DUPLICATE, ok: false, ...refusal(second) }];
  const recognised = second.pushStatus === "duplicate" && second.eventId === first.eventId;
  return [
    storedCheck,
    recognised
      ? { name: DUPLICATE, ok: true, detail: `the resend was answered duplicate of ${eventId}` }
      : {
          name: DUPLICATE,
          ok: false,
          detail: `the resend was answered Push-Status: ${second.pushStatus ?? "(none)"}, event ${second.eventId ?? "(none)"}`,
          fix: "the same bytes must be recognised by their request_id: look at the worker's log (npx wrangler tail)",
        },
  ];
}
