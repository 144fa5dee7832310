/** The caller's side of the in-memory dedupe in front of D1: which shard, and one safe retry. */
import type { BeginAnswer, ClaimShard, FinishOutcome } from "./claim-shard";

/** Never change once data exists: a key must always map to the same shard. */
export const CLAIM_SHARD_COUNT = 16;

/** The shard of a dedupe key: FNV-1a hash, modulo the fixed shard count. */
export function shardFor(key: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    hash ^= key.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return (hash >>> 0) % CLAIM_SHARD_COUNT;
}

export function shardStub(namespace: DurableObjectNamespace<ClaimShard>, key: string) {
  return namespace.get(namespace.idFromName(`claims-${shardFor(key)}`));
}

type Shard = ReturnType<typeof shardStub>;

/**
 * Only what the runtime marks `retryable` is asked again (a transient disconnect or reset); an
 * overloaded object will not get better by asking again at once, and any other error (a bug, an
 * exception thrown by the object) would only fail the same way.
 */
export function isRetryable(err: unknown): boolean {
  if (typeof err !== "object" || err === null) return false;
  const flags = err as { retryable?: unknown; overloaded?: unknown };
  return flags.retryable === true && flags.overloaded !== true;
}

/**
 * Calls the key's shard, once more with a fresh stub when the runtime marks the error retryable.
 * Every call is idempotent (`begin` is asked under the caller's ticket), so the retry is safe; a
 * call that failed for good may still have taken effect, which at worst makes a later copy wait
 * out the hold, never loses or doubles a row.
 */
async function callShard<T>(
  namespace: DurableObjectNamespace<ClaimShard>,
  key: string,
  call: (shard: Shard) => Promise<T>,
): Promise<T> {
  try {
    return await call(shardStub(namespace, key));
  } catch (err) {
    if (!isRetryable(err)) throw err;
    return await call(shardStub(namespace, key));
  }
}

/** First copy, seen, or wait (see `ClaimShard.begin`). */
export function beginPush(
  namespace: DurableObjectNamespace<ClaimShard>,
  key: string,
  ticket: string,
  holdMs: number,
): Promise<BeginAnswer> {
  return callShard(namespace, key, async (shard) => (await shard.begin(key, ticket, holdMs)) as BeginAnswer);
}

/** Hands the outcome of a ticket to the shard, waking the copies that wait for it. */
export function finishPush(
  namespace: DurableObjectNamespace<ClaimShard>,
  key: string,
  ticket: string,
  outcome: FinishOutcome,
): Promise<void> {
  return callShard(namespace, key, async (shard) => {
    await shard.finish(key, ticket, outcome);
  });
}
