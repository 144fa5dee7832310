/**
 * The alerts cron: what changed since the last run (the pipeline's health, each destination,
 * failures, retention risk), recorded once per change of state, then sent.
 */
import { type AlertsConfig, readConfig } from "../config";
import { describeError } from "../errors";
import { pipelineHealthNow } from "../health/pipeline";
import { newUlid } from "../lib/ids";
import { log } from "../lib/log";
import { lastAlertAt, readAlertStates, readFailuresSince, recordAlert, recordStateChange } from "../store/alerts";
import { oldestUnreachedEvent } from "../store/destination-walk";
import { asConfigured, type DestinationRow, listDestinationRows, readFeedHead } from "../store/destinations";
import type { AlertKind } from "./message";
import { sendPendingAlerts } from "./send";

const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;
/** Ids named in a failures digest. */
const DIGEST_IDS = 5;
/** Changes past a destination's cursor the retention-risk check reads (bounded, whatever the lag). */
const RISK_SCAN = 500;

type Watch = { env: Env; config: AlertsConfig; now: number; states: Map<string, string> };

/**
 * Records what changed and sends what is pending. Off (nothing read, nothing recorded) while
 * ALERT_URL is unset. Never throws: every part logs its own failure, and a failing alert endpoint
 * leaves its alerts pending for the next run.
 */
export async function runAlerts(env: Env, now: number): Promise<{ recorded: number; sent: number }> {
  let config: AlertsConfig;
  try {
    config = readConfig(env).alerts;
  } catch (err) {
    log("error", "alerts_config_invalid", { error: describeError(err) });
    return { recorded: 0, sent: 0 };
  }
  if (!config.url) return { recorded: 0, sent: 0 };
  let recorded = 0;
  try {
    const watch: Watch = { env, config, now, states: await readAlertStates(env.DB) };
    const parts = [watchHealth, watchDestinations, watchFailures] as const;
    for (const part of parts) {
      try {
        recorded += await part(watch);
      } catch (err) {
        log("error", "alerts_watch_failed", { part: part.name, error: describeError(err) });
      }
    }
  } catch (err) {
    log("error", "alerts_watch_failed", { error: describeError(err) });
  }
  let sent = 0;
  try {
    sent = await sendPendingAlerts(env.DB, config, now);
  } catch (err) {
    log("error", "alerts_send_failed", { error: describeError(err) });
  }
  return { recorded, sent };
}

/** Records the state of `key` and, when it changed, the alert (unless it repeats within ALERT_REPEAT_MINUTES). */
async function change(
  watch: Watch,
  key: string,
  state: string,
  alert: { kind: AlertKind; subject: string; data: Record<string, unknown> } | null,
): Promise<number> {
  if (watch.states.get(key) === state) return 0;
  watch.states.set(key, state);
  const recorded = await recordStateChange(
    watch.env.DB,
    { key, state, now: watch.now, repeatSince: watch.now - watch.config.repeatMs },
    alert && { id: newUlid(watch.now), kind: alert.kind, subject: alert.subject, data: JSON.stringify(alert.data) },
  );
  if (recorded) log("warn", "alert_raised", { kind: alert?.kind, subject: alert?.subject });
  return recorded ? 1 : 0;
}

/**
 * `health.degraded` when the set of reasons changes to a non-empty one (subject: the reasons, so
 * a new reason alerts again), `health.recovered` when it empties. Any reason of /health/pipeline
 * alerts, those added later included.
 */
async function watchHealth(watch: Watch): Promise<number> {
  const health = await pipelineHealthNow(watch.env, watch.now);
  const reasons = health.status === "ok" ? [] : [...health.reasons].sort();
  const state = reasons.length === 0 ? "ok" : reasons.join(",");
  const before = watch.states.get("health");
  if (state === "ok") {
    const alert = before === undefined ? null : { kind: "health.recovered" as const, subject: "health", data: {} };
    return change(watch, "health", state, alert);
  }
  const previous = before && before !== "ok" ? before.split(",") : [];
  const data = { reasons, new_reasons: reasons.filter((reason) => !previous.includes(reason)) };
  return change(watch, "health", state, { kind: "health.degraded", subject: state, data });
}

/**
 * Per destination: `destination.disabled` when it was disabled for failing, `destination.recovered`
 * at its first success after that (resuming alone is not recovering); `retention.risk` when the
 * oldest event it has yet to reach is older than RETENTION_DAYS − 1 day.
 */
async function watchDestinations(watch: Watch): Promise<number> {
  const { env } = watch;
  const forwardUrl = readConfig(env).forward.destination?.url ?? null;
  const rows = (await listDestinationRows(env.DB)).flatMap((row) => asConfigured(row, forwardUrl) ?? []);
  let recorded = 0;
  for (const row of rows) {
    const key = `destination:${row.id}`;
    const disabledNow = row.state === "disabled" && row.disabled_at !== null;
    const details = { id: row.id, name: row.name, reason: row.disabled_reason, last_error: row.last_error };
    if (disabledNow) {
      recorded += await change(watch, key, "disabled", {
        kind: "destination.disabled",
        subject: row.id,
        data: { ...details, failing_since: row.failing_since },
      });
    } else if (watch.states.get(key) === "disabled" && (row.last_success_at ?? 0) > (row.disabled_at ?? 0)) {
      recorded += await change(watch, key, "ok", { kind: "destination.recovered", subject: row.id, data: details });
    }
    recorded += await watchRetention(watch, row);
  }
  return recorded;
}

async function watchRetention(watch: Watch, row: DestinationRow): Promise<number> {
  const { env, now } = watch;
  const key = `retention:${row.id}`;
  if (row.cursor_seq >= (await readFeedHead(env.DB))) return change(watch, key, "ok", null);
  const retentionMs = readConfig(env).retention.retentionMs;
  const oldest = await oldestUnreachedEvent(env.DB, row.id, row.cursor_seq, RISK_SCAN);
  const atRisk = oldest !== null && oldest.received_at < now - (retentionMs - DAY_MS);
  if (!atRisk) return watch.states.has(key) ? change(watch, key, "ok", null) : 0;
  return change(watch, key, "risk", {
    kind: "retention.risk",
    subject: row.id,
    data: {
      id: row.id,
      name: row.name,
      oldest_event_id: oldest.id,
      oldest_received_at: new Date(oldest.received_at).toISOString(),
      retention_days: Math.round(retentionMs / DAY_MS),
      events_lost: row.events_lost,
    },
  });
}

/**
 * `events.failed`, a digest: when events ended `failed` since the last digest, how many did in
 * the last hour, the first few ids and a link to the dashboard's failures; at most one per
 * ALERT_REPEAT_MINUTES.
 */
async function watchFailures(watch: Watch): Promise<number> {
  const { env, now } = watch;
  const lastDigest = await lastAlertAt(env.DB, "events.failed", "events");
  const hour = await readFailuresSince(env.DB, now - HOUR_MS, DIGEST_IDS);
  if (hour.count === 0 || (hour.newestAt ?? 0) <= (lastDigest ?? 0)) return 0;
  const data = { count: hour.count, first_ids: hour.firstIds, link: failuresLink(env) };
  const recorded = await recordAlert(
    env.DB,
    { id: newUlid(now), kind: "events.failed", subject: "events", data: JSON.stringify(data) },
    now,
    now - watch.config.repeatMs,
  );
  return recorded ? 1 : 0;
}

/** The dashboard's failures, on the public URL when PUBLIC_CALLBACK_URL gives it. */
function failuresLink(env: Env): string {
  try {
    const base = readConfig(env).push.publicCallbackUrl;
    return `${base ? new URL(base).origin : ""}/dashboard?status=failed`;
  } catch {
    return "/dashboard?status=failed";
  }
}
