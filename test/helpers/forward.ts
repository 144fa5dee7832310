/**
 * Helpers for the forwarding tests: the scripted destination (test/helpers/standin-forward.ts), an env
 * with FORWARD_URL's destination on, destinations made through the admin actions, a recording
 * stand-in for the FORWARDS queue (to see the delay of re-sent messages and the walk's nudges),
 * settled events, the walk, and a runner that hands a batch to the worker's real `queue` handler.
 */
import { env } from "cloudflare:workers";
import type { EventStatus } from "../../src/events/vocabulary";
import { consumeForwards } from "../../src/forward/consumer";
import { type ForwardDeps, liveForwardDeps } from "../../src/forward/deps";
import { type AdminDeps, createDestination, type DestinationInput } from "../../src/forward/destinations";
import type { ForwardMessage } from "../../src/forward/message";
import { walkDestinations } from "../../src/forward/walker";
import { newUlid } from "../../src/lib/ids";
import type { DeliveryRow } from "../../src/store/deliveries";
import { insertReceivedEvent } from "./followup";
import { runBatch } from "./queue";
import type { RecordedCall, ScriptedAnswer } from "./standin-forward";

/** 32 fixed bytes (0..31), base64: a valid Standard Webhooks secret. */
export const TEST_FORWARD_SECRET = `whsec_${btoa(String.fromCharCode(...Array.from({ length: 32 }, (_, i) => i)))}`;

/** A fresh destination path answering `answers` in turn (then the last one again). */
export async function newScenario(answers: ScriptedAnswer[] = []): Promise<string> {
  const scenario = crypto.randomUUID();
  await fetch(`https://forward.test/__script/${scenario}`, { method: "POST", body: JSON.stringify(answers) });
  return scenario;
}

export async function callsOf(scenario: string): Promise<RecordedCall[]> {
  return (await (await fetch(`https://forward.test/__calls/${scenario}`)).json()) as RecordedCall[];
}

export function forwardVars(scenario: string, extra: Record<string, string> = {}): Record<string, string> {
  return { FORWARD_URL: `https://forward.test/hook/${scenario}`, FORWARD_SECRET: TEST_FORWARD_SECRET, ...extra };
}

export type SentMessage = { deliveryId: string; delaySeconds: number | undefined };

/**
 * A FORWARDS queue that records what is sent instead of delivering it: the deliveries' messages in
 * `sent`, the walk's nudges (`all` or a destination id) in `nudges`.
 */
export function recordingQueue(): { queue: Queue<ForwardMessage>; sent: SentMessage[]; nudges: string[] } {
  const sent: SentMessage[] = [];
  const nudges: string[] = [];
  const record = (body: ForwardMessage, delaySeconds: number | undefined) => {
    if ("walk" in body) nudges.push(body.walk);
    else sent.push({ deliveryId: body.deliveryId, delaySeconds });
  };
  const queue = {
    async send(body: ForwardMessage, options?: QueueSendOptions) {
      record(body, options?.delaySeconds);
    },
    async sendBatch(messages: Iterable<MessageSendRequest<ForwardMessage>>, options?: QueueSendBatchOptions) {
      for (const message of messages) record(message.body, message.delaySeconds ?? options?.delaySeconds);
    },
  } as unknown as Queue<ForwardMessage>;
  return { queue, sent, nudges };
}

/** Walks the change feed for every active destination (FORWARD_URL's as `workerEnv` sets it), as a nudge or the cron would. */
export function walk(workerEnv: Env, now = Date.now()): Promise<number> {
  return walkDestinations(liveForwardDeps(workerEnv), now);
}

/** The deliveries of an event (to one destination, or all), oldest first. */
export async function deliveriesOf(eventId: string, destinationId?: string): Promise<DeliveryRow[]> {
  const { results } = await env.DB.prepare(
    "SELECT * FROM deliveries WHERE event_id = ?1 AND (?2 IS NULL OR destination_id = ?2) ORDER BY id",
  )
    .bind(eventId, destinationId ?? null)
    .all<DeliveryRow>();
  return results;
}

/** The delivery the walk made for an event to FORWARD_URL's destination (walking first). */
export async function walkedDelivery(workerEnv: Env, eventId: string): Promise<string> {
  await walk(workerEnv);
  const [delivery] = await deliveriesOf(eventId, "default");
  if (!delivery) throw new Error(`no delivery for ${eventId}`);
  return delivery.id;
}

/**
 * A pending delivery of `eventId` to `destinationId` created at `at`, written straight to D1 (what
 * the walk would have made), for tests about what happens to it later.
 */
export async function insertDelivery(eventId: string, at: number, destinationId = "default"): Promise<string> {
  const id = newUlid(at);
  await env.DB.prepare(
    `INSERT INTO deliveries (id, destination_id, event_id, settlement, status, attempts, next_attempt_at, retry_until, created_at)
     SELECT ?1, ?2, id, status || ':' || seq, 'pending', 0, ?3, ?4, ?3 FROM events WHERE id = ?5`,
  )
    .bind(id, destinationId, at, at + 3 * 86_400_000, eventId)
    .run();
  return id;
}

/** The admin actions' deps for `workerEnv` (http allowed, as the stand-in is https anyway). */
export function adminDepsOf(workerEnv: Env): AdminDeps {
  return { ...liveForwardDeps(workerEnv), allowHttp: false };
}

/** A destination made through the admin action, at forward.test/hook/<scenario>; returns its id and secret. */
export async function createTestDestination(
  workerEnv: Env,
  scenario: string,
  input: Partial<DestinationInput> = {},
): Promise<{ id: string; secret: string }> {
  const created = await createDestination(adminDepsOf(workerEnv), {
    name: input.name ?? `test ${scenario}`,
    url: `https://forward.test/hook/${scenario}`,
    ...input,
  });
  return { id: created.row.id, secret: created.secret };
}

/** The worker's env with these vars, and the given queue as FORWARDS. */
export function forwardEnv(vars: Record<string, string>, queue?: Queue<ForwardMessage>): Env {
  return { ...env, ...vars, ...(queue ? { FORWARDS: queue } : {}) } as Env;
}

/** An event that has settled as the follow-up leaves it. */
export async function insertSettledEvent(status: EventStatus = "processed", orderNumber?: string): Promise<string> {
  const id = await insertReceivedEvent(orderNumber ? { order_number: orderNumber } : {});
  await env.DB.prepare("UPDATE events SET status = ?2, processed_at = ?3, attempts = 1 WHERE id = ?1")
    .bind(id, status, status === "failed" ? null : Date.now())
    .run();
  return id;
}

export function readDelivery(id: string) {
  return env.DB.prepare("SELECT * FROM deliveries WHERE id = ?1").bind(id).first<DeliveryRow>();
}

/** The delay of the delivery's next attempt has passed. */
export async function makeDue(id: string): Promise<void> {
  await env.DB.prepare("UPDATE deliveries SET next_attempt_at = ?2 WHERE id = ?1").bind(id, Date.now()).run();
}

/**
 * Delivers messages to the worker's `queue` handler as `omisell-forwards` would; `steps` replace
 * steps of the consumer's live deps (then the consumer is called directly, with those deps).
 */
export function runForwards(deliveryIds: string[], workerEnv: Env, steps: Partial<ForwardDeps> = {}) {
  const messages = deliveryIds.map((deliveryId, index) => ({ id: `fwd-${index}`, attempts: 1, body: { deliveryId } }));
  if (Object.keys(steps).length === 0) return runBatch<ForwardMessage>("omisell-forwards", messages, workerEnv);
  const deps = { ...liveForwardDeps(workerEnv), ...steps };
  return runBatch<ForwardMessage>("omisell-forwards", messages, workerEnv, (batch) => consumeForwards(batch, deps));
}
