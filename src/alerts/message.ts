/** What an alert says: its kinds, the sentence a person reads (Slack), and the signed webhook's JSON. Pure. */

export const ALERT_KINDS = [
  "health.degraded",
  "health.recovered",
  "destination.disabled",
  "destination.recovered",
  "events.failed",
  "retention.risk",
] as const;
export type AlertKind = (typeof ALERT_KINDS)[number];

/** An alert as it is sent: what it is about and its details (the `data` of the webhook format). */
export type AlertContent = {
  id: string;
  kind: string;
  subject: string;
  createdAt: number;
  data: Record<string, unknown>;
};

const text = (value: unknown) => (typeof value === "string" ? value : JSON.stringify(value ?? null));
const list = (value: unknown) => (Array.isArray(value) ? value.map(text).join(", ") : text(value));

/**
 * One line for a person (the `slack` format's `text`), from the alert's data.
 * @example alertSentence({ kind: "health.degraded", data: { reasons: ["backlog_stale"] }, … })
 * // "omisell-push: the pipeline is degraded: backlog_stale."
 */
export function alertSentence(alert: AlertContent): string {
  const d = alert.data;
  const name = `"${text(d.name)}" (${alert.subject})`;
  switch (alert.kind) {
    case "health.degraded":
      return `omisell-push: the pipeline is degraded: ${list(d.reasons)}.`;
    case "health.recovered":
      return "omisell-push: the pipeline is healthy again.";
    case "destination.disabled":
      return (
        `omisell-push: destination ${name} was disabled: ${text(d.reason)}. ` +
        "Its events wait at its cursor; resume it once it answers again."
      );
    case "destination.recovered":
      return `omisell-push: destination ${name} delivers again.`;
    case "events.failed":
      return (
        `omisell-push: ${text(d.count)} event(s) ended failed in the last hour (${list(d.first_ids)}). ` +
        `${text(d.link)}`
      );
    case "retention.risk":
      return (
        `omisell-push: destination ${name} has not reached events received ${text(d.oldest_received_at)}; ` +
        `retention deletes them within a day (${text(d.retention_days)} days kept). Resume it or move its start.`
      );
    default:
      return `omisell-push: ${alert.kind} ${alert.subject}`;
  }
}

/** The body sent for `format`: `{"text": …}` for Slack and Mattermost, else the signed webhook's JSON. */
export function alertBody(format: "slack" | "webhook", alert: AlertContent): string {
  if (format === "slack") return JSON.stringify({ text: alertSentence(alert) });
  return JSON.stringify({
    type: `alert.${alert.kind}`,
    timestamp: new Date(alert.createdAt).toISOString(),
    data: { kind: alert.kind, subject: alert.subject, message: alertSentence(alert), ...alert.data },
  });
}
