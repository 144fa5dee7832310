/** Sending recorded alerts to ALERT_URL, within a bounded time, never failing the cron. */
import type { AlertsConfig } from "../config";
import { describeError } from "../errors";
import { parseJsonOr } from "../lib/json";
import { log } from "../lib/log";
import { webhookHeaders } from "../lib/standard-webhooks";
import { type AlertRow, markAlertSent, pendingAlerts, recordAlertFailure } from "../store/alerts";
import { type AlertContent, alertBody } from "./message";

/** One try's time limit: an alert endpoint that hangs must not hold the cron. */
export const ALERT_TIMEOUT_MS = 5_000;
/** Tries per alert, one per cron run (a minute apart): then it stays listed as `failed`. */
export const MAX_ALERT_ATTEMPTS = 5;
/** Alerts sent per run, in parallel, oldest first: the rest wait for the next run. */
const ALERTS_PER_RUN = 10;

export type AlertPost = (url: string, init: RequestInit) => Promise<Response>;

/**
 * Sends the pending alerts, each once, in parallel, each within ALERT_TIMEOUT_MS: a 2xx marks it
 * `sent`; anything else counts a try and leaves it `pending` for the next run, `failed` after
 * MAX_ALERT_ATTEMPTS. Returns how many were sent. Throws only when D1 does.
 */
export async function sendPendingAlerts(
  db: D1Database,
  config: AlertsConfig,
  now: number,
  post: AlertPost = (target, init) => fetch(target, init),
): Promise<number> {
  const url = config.url;
  if (!url) return 0;
  const alerts = await pendingAlerts(db, ALERTS_PER_RUN);
  const sent = await Promise.all(alerts.map((alert) => sendOne(db, config, url, alert, now, post)));
  return sent.filter(Boolean).length;
}

async function sendOne(
  db: D1Database,
  config: AlertsConfig,
  url: string,
  alert: AlertRow,
  now: number,
  post: AlertPost,
): Promise<boolean> {
  const content: AlertContent = {
    id: alert.id,
    kind: alert.kind,
    subject: alert.subject,
    createdAt: alert.created_at,
    data: asRecord(parseJsonOr(alert.data, {})),
  };
  const body = alertBody(config.format, content);
  const signed =
    config.format === "webhook" && config.key
      ? // The attempt's own time, as receivers refuse a timestamp more than 5 minutes off.
        await webhookHeaders(config.key, alert.id, Math.floor(Date.now() / 1000), body)
      : {};
  let error: string | null = null;
  try {
    const response = await post(url, {
      method: "POST",
      headers: { "content-type": "application/json", "user-agent": "omisell-push", ...signed },
      body,
      redirect: "manual",
      signal: AbortSignal.timeout(ALERT_TIMEOUT_MS),
    });
    await response.body?.cancel().catch(() => undefined);
    if (response.status < 200 || response.status >= 300) error = `HTTP ${response.status}`;
  } catch (err) {
    error = describeError(err);
  }
  if (error === null) {
    await markAlertSent(db, alert.id, now);
    log("info", "alert_sent", { alert_id: alert.id, kind: alert.kind });
    return true;
  }
  const giveUp = alert.attempts + 1 >= MAX_ALERT_ATTEMPTS;
  await recordAlertFailure(db, alert.id, error, giveUp);
  log("warn", "alert_send_failed", { alert_id: alert.id, kind: alert.kind, error, gave_up: giveUp });
  return false;
}

function asRecord(value: unknown): Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}
