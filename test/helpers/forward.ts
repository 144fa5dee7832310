/**
 * Helpers for the forwarding tests: the scripted destination (test/helpers/standin-forward.ts), an env
 * with forwarding on, a recording stand-in for the FORWARDS queue (to see the delay of re-sent
 * messages), settled events, and a runner that hands a batch to the worker's real `queue` handler.
 */
import { env } from "cloudflare:workers";
import type { EventStatus } from "../../src/events/vocabulary";
import { consumeForwards } from "../../src/forward/consumer";
import { type ForwardDeps, liveForwardDeps } from "../../src/forward/deps";
import type { ForwardMessage } from "../../src/forward/message";
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

/** A FORWARDS queue that records what is sent instead of delivering it. */
export function recordingQueue(): { queue: Queue<ForwardMessage>; sent: SentMessage[] } {
  const sent: SentMessage[] = [];
  const queue = {
    async send(body: ForwardMessage, options?: QueueSendOptions) {
      sent.push({ deliveryId: body.deliveryId, delaySeconds: options?.delaySeconds });
    },
    async sendBatch(messages: Iterable<MessageSendRequest<ForwardMessage>>, options?: QueueSendBatchOptions) {
      for (const message of messages) {
        sent.push({ deliveryId: message.body.deliveryId, delaySeconds: message.delaySeconds ?? options?.delaySeconds });
      }
    },
  } as unknown as Queue<ForwardMessage>;
  return { queue, sent };
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
