/**
 * Client side of the claim/commit protocol: picks the shard for a dedupe key (FNV-1a hash,
 * fixed shard count) and retries a call once, with a fresh stub, when the runtime marks its error
 * retryable and not overloaded. Every call is idempotent, so the retry is safe.
 */
import type { ClaimShard, ClaimState } from "./claim-shard";

/** Never change once data exists: a key must always map to the shard that holds its claim. */
export const CLAIM_SHARD_COUNT = 16;

export function shardFor(key: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    hash ^= key.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return (hash >>> 0) % CLAIM_SHARD_COUNT;
}

function shardStub(namespace: DurableObjectNamespace<ClaimShard>, key: string) {
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

export function claimPush(
  namespace: DurableObjectNamespace<ClaimShard>,
  key: string,
  token: string,
  eventId: string,
  leaseMs: number,
): Promise<ClaimState> {
  return callShard(namespace, key, async (shard) => (await shard.claim(key, token, eventId, leaseMs)) as ClaimState);
}

export function commitPush(
  namespace: DurableObjectNamespace<ClaimShard>,
  key: string,
  eventId: string,
  retainMs: number,
): Promise<void> {
  return callShard(namespace, key, async (shard) => {
    await shard.commit(key, eventId, retainMs);
  });
}

export function releasePush(namespace: DurableObjectNamespace<ClaimShard>, key: string, token: string): Promise<void> {
  return callShard(namespace, key, async (shard) => {
    await shard.release(key, token);
  });
}
