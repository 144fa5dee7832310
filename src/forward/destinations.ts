/**
 * What an admin does to destinations (the API and the dashboard call the same functions): create,
 * change, pause, resume, delete, rotate the secret, test, retry the failed deliveries. Each throws
 * the API's errors: 400 naming the field, 404, 409 `config_managed` for the default destination.
 */

import { describeError, HttpError } from "../errors";
import type { DestinationFilter } from "../events/destination-filter";
import { filterWarnings, normalizeFilter } from "../events/destination-filter";
import { newUlid } from "../lib/ids";
import { log } from "../lib/log";
import { newWebhookSecret } from "../lib/webhook-secret";
import { nudgeWalk } from "../queue/walk-nudge";
import { reopenFailedDeliveries } from "../store/delivery-lists";
import {
  asConfigured,
  DEFAULT_DESTINATION_ID,
  type DestinationChanges,
  type DestinationFormat,
  type DestinationRow,
  deleteDestination,
  insertDestination,
  pauseDestination,
  readDestinationRow,
  readFeedHead,
  resumeDestination,
  rotateDestinationSecret,
  updateDestination,
} from "../store/destinations";
import { RETRY_WINDOW_MS } from "./backoff";
import type { ForwardDeps } from "./deps";
import { sendForwards } from "./message";
import { ROTATION_OVERLAP_MS, targetOf } from "./target";
import { destinationUrlProblem } from "./url-rules";

/** At most this many messages are sent at once by a resume or a retry of failed deliveries; the sweeper sends the rest. */
const SEND_AT_ONCE = 1_000;

/** The fields of POST (all but name and url optional) and PATCH (all optional). */
export type DestinationInput = {
  name: string;
  url: string;
  format?: DestinationFormat | undefined;
  filter?: DestinationFilter | undefined;
  rate_per_minute?: number | null | undefined;
  /** `now` (default): settlements after its creation; a seq: begin after it (history). */
  start?: "now" | number | undefined;
};

export type AdminDeps = ForwardDeps & { allowHttp: boolean };

const notFound = () => new HttpError(404, "not_found", "no destination with this id");
const configManaged = () =>
  new HttpError(
    409,
    "config_managed",
    "the default destination is FORWARD_URL's: change FORWARD_URL and FORWARD_SECRET",
  );
const invalid = (field: string, message: string) =>
  new HttpError(400, "invalid_request", undefined, { fields: { [field]: message } });

/** The destination as the config makes it, or 404. */
async function existing(deps: AdminDeps, id: string): Promise<DestinationRow> {
  const row = await readDestinationRow(deps.db, id);
  const shown = row ? asConfigured(row, deps.config.destination?.url ?? null) : null;
  if (!shown) throw notFound();
  return shown;
}

async function checkedStart(deps: AdminDeps, start: "now" | number | undefined): Promise<number | null | undefined> {
  if (start === undefined) return undefined;
  if (start === "now") return null;
  if (start > (await readFeedHead(deps.db))) throw invalid("start", "is past the newest change of the feed");
  return start;
}

function checkedUrl(deps: AdminDeps, url: string): string {
  const problem = destinationUrlProblem(url, deps.allowHttp);
  if (problem) throw invalid("url", problem);
  return url;
}

/** Creates an active destination with a new secret (answered only here). */
export async function createDestination(deps: AdminDeps, input: DestinationInput) {
  const now = deps.now();
  const url = checkedUrl(deps, input.url);
  const filter = normalizeFilter(input.filter ?? {});
  const secret = newWebhookSecret();
  const start = (await checkedStart(deps, input.start)) ?? null;
  const row = await insertDestination(
    deps.db,
    {
      id: `dst_${newUlid(now)}`,
      name: input.name,
      url,
      format: input.format ?? "envelope",
      filter: JSON.stringify(filter),
      rate_per_minute: input.rate_per_minute ?? null,
      secret,
      start,
    },
    now,
  );
  log("info", "destination_created", { destination_id: row.id, start: row.cursor_seq });
  if (start !== null) await nudgeWalk(deps.queue, row.id);
  return { row, secret, warnings: filterWarnings(filter) };
}

/** Changes what is given; `start` moves the cursor. */
export async function changeDestination(deps: AdminDeps, id: string, input: Partial<DestinationInput>) {
  if (id === DEFAULT_DESTINATION_ID) throw configManaged();
  const changes: DestinationChanges = {};
  if (input.name !== undefined) changes.name = input.name;
  if (input.url !== undefined) changes.url = checkedUrl(deps, input.url);
  if (input.format !== undefined) changes.format = input.format;
  const filter = input.filter === undefined ? undefined : normalizeFilter(input.filter);
  if (filter !== undefined) changes.filter = JSON.stringify(filter);
  if (input.rate_per_minute !== undefined) changes.rate_per_minute = input.rate_per_minute;
  const start = await checkedStart(deps, input.start);
  if (start !== undefined) changes.start = start;
  const row = await updateDestination(deps.db, id, changes, deps.now());
  if (!row) throw notFound();
  if (start !== undefined) await nudgeWalk(deps.queue, id);
  return { row, warnings: filter ? filterWarnings(filter) : [] };
}

export async function pause(deps: AdminDeps, id: string): Promise<DestinationRow> {
  await existing(deps, id);
  const row = await pauseDestination(deps.db, id, deps.now());
  if (!row) throw notFound();
  log("info", "destination_paused", { destination_id: id });
  return row;
}

/** Active again from its cursor; its waiting deliveries are sent, and the walk goes on. */
export async function resume(deps: AdminDeps, id: string): Promise<DestinationRow> {
  await existing(deps, id);
  const now = deps.now();
  const resumed = await resumeDestination(deps.db, id, now, now + RETRY_WINDOW_MS);
  if (!resumed) throw notFound();
  await sendSome(deps, id, resumed.due);
  await nudgeWalk(deps.queue, id);
  log("info", "destination_resumed", { destination_id: id, waiting: resumed.due.length });
  return resumed.row;
}

export async function remove(deps: AdminDeps, id: string): Promise<{ cancelled: number }> {
  if (id === DEFAULT_DESTINATION_ID) throw configManaged();
  const cancelled = await deleteDestination(deps.db, id, deps.now());
  if (cancelled === null) throw notFound();
  log("info", "destination_deleted", { destination_id: id, cancelled });
  return { cancelled };
}

/** A new secret; the previous one stays valid, and both signatures are sent, for 24 hours. */
export async function rotateSecret(deps: AdminDeps, id: string): Promise<{ secret: string; previousUntil: number }> {
  if (id === DEFAULT_DESTINATION_ID) throw configManaged();
  const now = deps.now();
  const secret = newWebhookSecret();
  const row = await rotateDestinationSecret(deps.db, id, secret, now + ROTATION_OVERLAP_MS, now);
  if (!row) throw notFound();
  log("info", "destination_secret_rotated", { destination_id: id });
  return { secret, previousUntil: now + ROTATION_OVERLAP_MS };
}

export type TestOutcome = { ok: boolean; status_code: number | null; latency_ms: number; error?: string };

/**
 * Sends one `omisell_push.test` message now, signed as deliveries are (whatever the state or
 * the format), and says how it went. Counts no attempt and changes nothing.
 */
export async function testDestination(deps: AdminDeps, id: string): Promise<TestOutcome> {
  const row = await existing(deps, id);
  const now = deps.now();
  const target = targetOf(row, deps.config, now);
  if (!target) throw notFound();
  const webhookId = `test_${newUlid(now)}`;
  const body = JSON.stringify({
    type: "omisell_push.test",
    timestamp: new Date(now).toISOString(),
    data: { destination_id: row.id, name: row.name, message: "A test message from omisell-push." },
  });
  const started = deps.now();
  const outcome = await deps.post(target, webhookId, body);
  const latency = Math.max(0, deps.now() - started);
  log("info", "destination_tested", { destination_id: id, ok: outcome.ok });
  return outcome.ok
    ? { ok: true, status_code: outcome.statusCode, latency_ms: latency }
    : { ok: false, status_code: outcome.statusCode, latency_ms: latency, error: outcome.error };
}

/** Every `failed` delivery of the destination tried again, for another retry window. */
export async function retryFailed(deps: AdminDeps, id: string): Promise<{ queued: number }> {
  await existing(deps, id);
  const now = deps.now();
  const ids = await reopenFailedDeliveries(deps.db, id, now, now + RETRY_WINDOW_MS);
  await sendSome(deps, id, ids);
  log("info", "destination_failed_retried", { destination_id: id, deliveries: ids.length });
  return { queued: ids.length };
}

/** The first SEND_AT_ONCE messages; the rest are due in D1, and the sweeper sends them within minutes. */
async function sendSome(deps: AdminDeps, id: string, ids: string[]): Promise<void> {
  try {
    await sendForwards(deps.queue, ids.slice(0, SEND_AT_ONCE));
  } catch (err) {
    log("error", "destination_send_failed", { destination_id: id, error: describeError(err) });
  }
}
