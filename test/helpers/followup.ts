/**
 * Helpers for the follow-up tests: events inserted straight into D1 (no queue involved), a stub
 * Omisell API in place of the global fetch, and a runner that hands a batch to the worker's real
 * `queue` handler and reports, per message, whether it was acknowledged or retried (with delay).
 */
import { env } from "cloudflare:workers";
import { vi } from "vitest";
import type { EventRow } from "../../src/events/vocabulary";
import { consumeFollowups } from "../../src/followup/consumer";
import { consumeDeadLetters } from "../../src/followup/dead-letters";
import { type FollowupDeps, liveFollowupDeps } from "../../src/followup/deps";
import type { FollowupMessage } from "../../src/followup/message";
import { newUlid } from "../../src/lib/ids";
import type { OmisellLimiter } from "../../src/omisell/limiter-handle";
import { insertEvent } from "../../src/store/event-writes";
import { type BatchOutcome, runBatch } from "./queue";

let counter = 0;

/** A fresh order number, so tests do not see each other's snapshots. */
export function newOrderNumber(): string {
  counter += 1;
  return `OM-T${Date.now()}-${counter}-${crypto.randomUUID().slice(0, 6)}`;
}

/** Inserts an event as the push path would, without enqueuing anything. Returns its id. */
export async function insertReceivedEvent(
  overrides: Partial<Pick<EventRow, "event" | "category" | "order_number" | "seller_id" | "status" | "attempts">> & {
    receivedAt?: number;
  } = {},
): Promise<string> {
  const receivedAt = overrides.receivedAt ?? Date.now();
  const id = newUlid(receivedAt);
  const orderNumber = overrides.order_number === undefined ? newOrderNumber() : overrides.order_number;
  await insertEvent(env.DB, {
    id,
    dedupe_key: `test:${id}`,
    request_id: id,
    event: overrides.event ?? "order.shipped",
    category: overrides.category ?? "order",
    seller_id: overrides.seller_id === undefined ? "1001" : overrides.seller_id,
    resource_type: orderNumber ? "order" : null,
    resource_id: orderNumber,
    order_number: orderNumber,
    status: overrides.status ?? "received",
    signature_valid: true,
    received_at: receivedAt,
    payload: "{}",
  });
  if (overrides.attempts) {
    await env.DB.prepare("UPDATE events SET attempts = ?2 WHERE id = ?1").bind(id, overrides.attempts).run();
  }
  return id;
}

/** A limiter that always says go, for client tests that are not about the budget. */
export const noLimiter: OmisellLimiter = {
  acquire: async () => ({ go: true }),
  report: async () => {},
};

export function readEvent(id: string) {
  return env.DB.prepare("SELECT * FROM events WHERE id = ?1")
    .bind(id)
    .first<EventRow & { next_attempt_at: number | null }>();
}

/** Omisell's envelope around an order, as the API answers GET /api/v2/public/order/{n}. */
export function orderAnswer(orderNumber: string, data: Record<string, unknown> = {}, init: ResponseInit = {}) {
  return Response.json(
    {
      data: { omisell_order_number: orderNumber, seller_id: 1001, status_name: "Shipped", ...data },
      error: false,
      error_code: 200,
      messages: "",
    },
    init,
  );
}

export function envelopeError(code: number, messages: unknown = "stub error", status = 200) {
  return Response.json({ data: null, error: true, error_code: code, messages }, { status });
}

export type StubCall = { url: string; method: string; headers: Headers; body: string | null };

/**
 * Replaces the global fetch with `answer`; returns the recorded calls. Restore with
 * `vi.restoreAllMocks()` in afterEach.
 */
export function stubOmisell(answer: (call: StubCall) => Response | Promise<Response>) {
  const calls: StubCall[] = [];
  vi.spyOn(globalThis, "fetch").mockImplementation(async (input, init) => {
    const request = new Request(input, init);
    const call = {
      url: request.url,
      method: request.method,
      headers: request.headers,
      body: request.body ? await request.text() : null,
    };
    calls.push(call);
    return answer(call);
  });
  return calls;
}

export type SentBack = { body: FollowupMessage; delaySeconds?: number };

/**
 * A follow-up queue for the consumer's `queue` step that records what is sent back instead of
 * sending it; `failing` makes every send throw instead.
 */
export function recordingFollowupQueue(options: { failing?: boolean } = {}) {
  const sent: SentBack[] = [];
  const queue: FollowupDeps["queue"] = {
    async sendBatch(messages) {
      if (options.failing) throw new Error("queue unavailable");
      for (const message of messages) sent.push({ body: message.body, delaySeconds: message.delaySeconds });
    },
  };
  return { sent, queue };
}

export type DeliveryResult = BatchOutcome;

/**
 * Delivers messages to the worker's `queue` handler as the queue named `queueName` would; `vars`
 * override config, and `steps` replace steps of the consumer's live deps (then the consumer is
 * called directly, with those deps).
 */
export async function deliver(
  messages: {
    eventId: string;
    attempts?: number;
    reason?: FollowupMessage["reason"];
    attemptsBefore?: number;
    generation?: number;
    deadLetterRounds?: number;
  }[],
  queueName = "omisell-followups",
  vars: Record<string, string> = {},
  steps: Partial<FollowupDeps> = {},
): Promise<DeliveryResult> {
  const batch = messages.map((message, index) => ({
    id: `msg-${index}`,
    attempts: message.attempts ?? 1,
    body: {
      eventId: message.eventId,
      reason: message.reason ?? "push",
      ...(message.attemptsBefore === undefined ? {} : { attemptsBefore: message.attemptsBefore }),
      ...(message.generation === undefined ? {} : { generation: message.generation }),
      ...(message.deadLetterRounds === undefined ? {} : { deadLetterRounds: message.deadLetterRounds }),
    } satisfies FollowupMessage,
  }));
  const workerEnv = Object.keys(vars).length ? ({ ...env, ...vars } as Env) : env;
  if (Object.keys(steps).length === 0) return runBatch(queueName, batch, workerEnv);
  const deps = { ...liveFollowupDeps(workerEnv), ...steps };
  return runBatch(queueName, batch, workerEnv, (received) =>
    queueName.endsWith("-dlq") ? consumeDeadLetters(received, deps) : consumeFollowups(received, deps),
  );
}
