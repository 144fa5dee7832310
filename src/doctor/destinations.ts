/** The doctor's `destinations` check: each active destination's latest delivery attempt. */
import { readConfig } from "../config";
import { asConfigured, DEFAULT_DESTINATION_ID, listDestinationRows } from "../store/destinations";
import { readLastDeliveryAttempt } from "../store/doctor-reads";
import { ago, type Finding, fail, pass } from "./check";

/** One destination as the doctor sees it: never its URL's path or query (they may hold a secret). */
export type DestinationState = {
  name: string;
  host: string | null;
  /** Set but unusable (a refused setting): why. Null when it can deliver. */
  problem: string | null;
  /** Its latest delivery attempt: when, whether it succeeded, and what came back. Null: none yet. */
  lastAttempt: { ok: boolean; at: number; summary: string } | null;
};

/**
 * The active destinations with their latest result: FORWARD_URL's (`default`, also when it is set
 * but refused, with the problem) and every one made with the API that is `active`.
 */
export async function readDestinationStates(env: Env): Promise<DestinationState[]> {
  const forward = readConfig(env).forward;
  const url = (env as { FORWARD_URL?: string }).FORWARD_URL?.trim();
  const states: DestinationState[] = [];
  if (!forward.destination && url) {
    states.push({
      name: "FORWARD_URL",
      host: null,
      problem:
        "FORWARD_URL is set but forwarding is off: FORWARD_URL or FORWARD_SECRET was refused (log line forward_config_invalid)",
      lastAttempt: null,
    });
  }
  const rows = await listDestinationRows(env.DB);
  for (const row of rows) {
    const destination = asConfigured(row, forward.destination?.url ?? null);
    if (destination?.state !== "active") continue;
    const last = await readLastDeliveryAttempt(env.DB, destination.id);
    const answer = last?.last_status_code ? `HTTP ${last.last_status_code}` : (last?.last_error ?? "no answer");
    states.push({
      name: destination.id === DEFAULT_DESTINATION_ID ? "FORWARD_URL" : destination.name,
      host: hostOf(destination.url),
      problem: null,
      lastAttempt: last && {
        ok: last.status === "delivered",
        at: last.last_attempt_at,
        summary:
          last.status === "delivered"
            ? `delivered (${answer})`
            : `${last.status === "failed" ? "failed for good" : "failed, retrying"} (${answer})`,
      },
    });
  }
  return states;
}

function hostOf(url: string): string | null {
  try {
    return new URL(url).host;
  } catch {
    return null;
  }
}

/** Passes when no destination is set, or each one's latest attempt succeeded (or none was made yet). */
export async function checkDestinations(env: Env, now: number): Promise<Finding> {
  const states = await readDestinationStates(env);
  if (states.length === 0)
    return pass("none active (FORWARD_URL unset, and no destination made with the API is active)");
  const lines = states.map((state) => {
    const where = state.host ? `${state.name} (${state.host})` : state.name;
    if (state.problem) return { ok: false, text: `${where}: ${state.problem}` };
    if (!state.lastAttempt) return { ok: true, text: `${where}: no delivery attempted yet` };
    const { ok, at, summary } = state.lastAttempt;
    return { ok, text: `${where}: the latest attempt ${ago(now - at)} ago: ${summary}` };
  });
  const detail = lines.map((line) => line.text).join("; ");
  if (lines.every((line) => line.ok)) return pass(detail);
  return fail(
    detail,
    "make the receiver answer 2xx (see the failing deliveries at /dashboard/deliveries and /dashboard/destinations); fix a refused FORWARD_URL or FORWARD_SECRET (whsec_…) and deploy",
  );
}
