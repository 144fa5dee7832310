/**
 * Fault injection for the push path, and Omisell's retries replayed against it.
 *
 * Pushes are sent through `faultySteps`, the push steps handed to the app (begin, insert, enqueue,
 * finish), each of which can be made to fail:
 * - `before`: throws (a rejected promise) without doing the work — "failed before the write";
 * - `after`: does the real work, then throws — "it was written but the answer was lost";
 * - `sync`: throws synchronously, as a buggy binding or wrapper might;
 * - `reset`: resets the claim Durable Objects (abortAllDurableObjects: their memory is gone) right
 *   before the real call.
 * A fault fires for the first `times` calls of its step, then the step works again.
 *
 * Enqueues that really reached the queue are recorded, so a test can check that every stored
 * event got its follow-up. Omisell's retry schedule (2 min, 30 min, 3 h) is longer than the hold
 * of a copy in flight, so between replayed attempts the hold is ended by hand (`expireHold`).
 */
import { abortAllDurableObjects, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import type { ClaimShard } from "../../src/dedupe/claim-shard";
import { shardFor } from "../../src/dedupe/claims";
import { livePushSteps, type PushSteps } from "../../src/push/ingest";
import { sendPush } from "./push";

export type Step = keyof PushSteps;
export type FaultMode = "before" | "after" | "sync" | "reset";
export type Fault = { step: Step; mode: FaultMode; times: number };

type AnyStep = (...args: unknown[]) => Promise<unknown>;
const originals = { ...livePushSteps } as unknown as Record<Step, AnyStep>;
/** The steps under test, rewired by `restoreSteps` and `injectFault`; only this helper changes them. */
const steps: Record<Step, AnyStep> = { ...originals };
/** What the app is given to store pushes with (the same object, as the app sees it). */
export const faultySteps = steps as unknown as PushSteps;

export const STEPS: readonly Step[] = ["begin", "insert", "enqueue", "finish"];
export const FAULT_MODES: readonly FaultMode[] = ["before", "after", "sync", "reset"];

/** Event ids whose follow-up message the queue accepted (recorded under any injected fault). */
export const enqueuedIds: string[] = [];
/** How often each step's fault actually fired, for the figures in RELIABILITY.md. */
export const firedFaults: Record<Step, number> = { begin: 0, insert: 0, enqueue: 0, markDue: 0, finish: 0 };

export class InjectedFault extends Error {
  constructor(step: Step, mode: FaultMode) {
    super(`injected fault: ${step} (${mode})`);
  }
}

/** Puts the real steps back, with the enqueue recorder underneath any fault. */
export function restoreSteps(): void {
  for (const step of Object.keys(originals) as Step[]) steps[step] = originals[step];
  steps.enqueue = async (...args: unknown[]) => {
    const result = await originals.enqueue(...args);
    enqueuedIds.push(args[1] as string);
    return result;
  };
}

/** Makes `fault.step` fail `fault.times` times in `fault.mode`; returns how often it fired so far. */
export function injectFault(fault: Fault): () => number {
  const underneath = steps[fault.step];
  let fired = 0;
  const fail = () => {
    fired += 1;
    firedFaults[fault.step] += 1;
    return new InjectedFault(fault.step, fault.mode);
  };
  const wrapped = (...args: unknown[]): Promise<unknown> => {
    if (fired >= fault.times) return underneath(...args);
    switch (fault.mode) {
      case "sync":
        throw fail();
      case "before":
        return Promise.reject(fail());
      case "after":
        return underneath(...args).then(() => {
          throw fail();
        });
      case "reset":
        fail();
        return abortAllDurableObjects().then(() => underneath(...args));
    }
  };
  steps[fault.step] = wrapped;
  return () => fired;
}

function claimShard(key: string) {
  return env.CLAIMS.get(env.CLAIMS.idFromName(`claims-${shardFor(key)}`));
}

/** The shard's memory, reached past `private` (tests only): copies in flight and recent keys. */
type ShardMemory = { inFlight: Map<string, { until: number }>; seen: Map<string, string> };

export async function readClaim(key: string): Promise<{ inFlight: boolean; eventId: string | null }> {
  return await runInDurableObject(claimShard(key), (instance: ClaimShard) => instance.inspect(key));
}

/** Omisell's next retry comes at least 2 minutes later: any copy's hold has run out by then. */
export async function expireHold(key: string): Promise<void> {
  await runInDurableObject(claimShard(key), (instance: ClaimShard) => {
    const hold = (instance as unknown as ShardMemory).inFlight.get(key);
    if (hold) hold.until = 0;
  });
}

/** The claim shard forgot the key (evicted, restarted): only D1 remembers the push. */
export async function forgetKey(key: string): Promise<void> {
  await runInDurableObject(claimShard(key), (instance: ClaimShard) => {
    const memory = instance as unknown as ShardMemory;
    memory.inFlight.delete(key);
    memory.seen.delete(key);
  });
}

export type Attempt = {
  status: number;
  pushStatus: string | null;
  eventId: string | null;
  error: string | null;
  body: string;
  /** Steps whose injected fault fired during this attempt. */
  faulted: Step[];
};

async function describe(res: Response, faulted: Step[]): Promise<Attempt> {
  const text = await res.text();
  let error: string | null = null;
  if (res.status !== 200) {
    try {
      error = (JSON.parse(text) as { error?: string }).error ?? null;
    } catch {
      error = `unparseable: ${text.slice(0, 80)}`;
    }
  }
  return {
    status: res.status,
    pushStatus: res.headers.get("Push-Status"),
    eventId: res.headers.get("Push-Event-Id"),
    error,
    body: text,
    faulted,
  };
}

export async function sendOnce(bytes: Uint8Array): Promise<Attempt> {
  const before = { ...firedFaults };
  const res = await sendPush(bytes, { steps: faultySteps });
  // Faults can fire in waitUntil work (finish) after the answer: read the body first.
  const attempt = await describe(res, []);
  attempt.faulted = STEPS.filter((step) => firedFaults[step] > before[step]);
  return attempt;
}

/**
 * Delivers the same bytes the way Omisell does: the first attempt, then a retry after every
 * answer that is not 200 (at most `maxAttempts` in all, as Omisell gives up after 3 retries),
 * then `lostAnswers` more copies as if our 200s had reached Omisell too late.
 * `between` runs before each retry (e.g. to reset the claim shards).
 */
export async function deliverLikeOmisell(
  bytes: Uint8Array,
  key: string,
  options: { maxAttempts?: number; lostAnswers?: number; between?: (attempt: number) => Promise<void> } = {},
): Promise<Attempt[]> {
  const maxAttempts = options.maxAttempts ?? 4;
  const attempts: Attempt[] = [];
  while (attempts.length < maxAttempts) {
    if (attempts.length > 0) {
      await expireHold(key);
      await options.between?.(attempts.length);
    }
    const attempt = await sendOnce(bytes);
    attempts.push(attempt);
    if (attempt.status === 200) break;
  }
  for (let i = 0; i < (options.lostAnswers ?? 0); i++) {
    await expireHold(key);
    attempts.push(await sendOnce(bytes));
  }
  return attempts;
}

export async function rowsForKey(key: string) {
  const { results } = await env.DB.prepare("SELECT id, status FROM events WHERE dedupe_key = ?")
    .bind(key)
    .all<{ id: string; status: string }>();
  return results;
}
