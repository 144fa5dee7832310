/**
 * What the end-to-end reliability tests need to act like Omisell and like a reader, over plain
 * HTTP: signed pushes (a network error counts as "no answer", as it would for Omisell), reads of
 * the read API, waiting for a follow-up to finish, and the figures written to
 * `test-results/reliability-summary.json` for RELIABILITY.md.
 */
import { createHmac, randomUUID } from "node:crypto";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { E2E_VARS } from "./config";

export type PushAnswer = { status: number; pushStatus: string | null; eventId: string | null; body: string };

export function signBody(secret: string, callbackUrl: string, body: string): string {
  return createHmac("sha256", secret).update(`${callbackUrl}|${body}`).digest("hex");
}

export function pushBody(event = "order.shipped", overrides: Record<string, unknown> = {}) {
  const orderNumber = `OM-REL-${randomUUID().slice(0, 12)}`;
  return {
    orderNumber,
    body: JSON.stringify({
      request_id: `rel-${randomUUID()}`,
      event,
      seller_id: 1001,
      data: { omisell_order_number: orderNumber, order_number: "SHP-REL", status_name: "Shipped" },
      ...overrides,
    }),
  };
}

/** One signed POST; status 0 when no answer came back (refused, reset, timed out). */
export async function sendSignedPush(workerUrl: string, secret: string, body: string): Promise<PushAnswer> {
  const callbackUrl = `${workerUrl}/webhooks/omisell`;
  try {
    const res = await fetch(callbackUrl, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: signBody(secret, callbackUrl, body) },
      body,
      signal: AbortSignal.timeout(10_000),
    });
    return {
      status: res.status,
      pushStatus: res.headers.get("push-status"),
      eventId: res.headers.get("push-event-id"),
      body: await res.text(),
    };
  } catch {
    return { status: 0, pushStatus: null, eventId: null, body: "" };
  }
}

export async function readApi<T>(workerUrl: string, path: string, token: string): Promise<{ status: number; body: T }> {
  const res = await fetch(`${workerUrl}${path}`, { headers: { authorization: `Bearer ${token}` } });
  return { status: res.status, body: (await res.json()) as T };
}

export type ApiEvent = {
  id: string;
  status: string;
  attempts: number;
  last_error: string | null;
  request_id: string | null;
  order_number: string | null;
};

/** Polls GET /api/events/{id} until `done` holds; throws with the last state seen otherwise. */
export async function waitForEvent(
  workerUrl: string,
  token: string,
  id: string,
  done: (event: ApiEvent) => boolean,
  timeoutMs = 30_000,
): Promise<ApiEvent> {
  const deadline = Date.now() + timeoutMs;
  let last: ApiEvent | null = null;
  while (Date.now() < deadline) {
    const { status, body } = await readApi<ApiEvent>(workerUrl, `/api/events/${id}`, token);
    if (status === 200) {
      last = body;
      if (done(body)) return body;
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`event ${id} stuck: last seen ${JSON.stringify(last)}`);
}

export const FINAL_STATUSES = ["processed", "skipped", "failed"];

/**
 * The worker at `workerUrl()` as Omisell and a reader see it, with the e2e push secret and read
 * token. The URL is asked on each call: a restart may replace the worker.
 */
export function e2eClient(workerUrl: () => string) {
  return {
    push: (body: string) => sendSignedPush(workerUrl(), E2E_VARS.OMISELL_PUSH_SECRET, body),
    read: <T>(path: string) => readApi<T>(workerUrl(), path, E2E_VARS.READ_API_TOKENS),
    waitForEvent: (id: string, done: (event: ApiEvent) => boolean, timeoutMs?: number) =>
      waitForEvent(workerUrl(), E2E_VARS.READ_API_TOKENS, id, done, timeoutMs),
  };
}

/** One copy of a push that Omisell sends, with every answer it got. */
export type Delivery = { push: { body: string; orderNumber: string }; answers: PushAnswer[] };

const unanswered = (delivery: Delivery) => delivery.answers.at(-1)?.status !== 200;

/**
 * A storm as Omisell makes one: `copies` deliveries of each push, sent with `send`. `retry` is
 * Omisell's retrying: every `pauseMs`, at most `rounds` times, it sends again each delivery whose
 * last answer was not 200, and returns those still unanswered.
 */
export function storm(pushes: Delivery["push"][], send: (body: string) => Promise<PushAnswer>, copies = 10) {
  const deliveries: Delivery[] = pushes.flatMap((push) =>
    Array.from({ length: copies }, () => ({ push, answers: [] })),
  );
  const sendAll = (list: Delivery[]) => Promise.all(list.map(async (d) => d.answers.push(await send(d.push.body))));
  async function retry({ rounds, pauseMs }: { rounds: number; pauseMs: number }): Promise<Delivery[]> {
    let pending = deliveries.filter(unanswered);
    for (let round = 0; round < rounds && pending.length > 0; round++) {
      await new Promise((resolve) => setTimeout(resolve, pauseMs));
      await sendAll(pending);
      pending = pending.filter(unanswered);
    }
    return pending;
  }
  return { deliveries, sendAll, retry };
}

/** Figures for RELIABILITY.md, merged across the e2e files of one run. */
export function recordFigures(section: string, figures: Record<string, number>): void {
  const dir = join(process.cwd(), "test-results");
  const file = join(dir, "reliability-summary.json");
  mkdirSync(dir, { recursive: true });
  let all: Record<string, unknown> = {};
  try {
    all = JSON.parse(readFileSync(file, "utf8")) as Record<string, unknown>;
  } catch {
    // first writer of this run
  }
  all[section] = { ...figures, recorded_at: new Date().toISOString() };
  writeFileSync(file, `${JSON.stringify(all, null, 2)}\n`);
}
