/** Async work over a list with a bound on the calls in flight (FOLLOWUP_PARALLELISM). */

/**
 * Runs `work` for every item, at most `limit` at a time. An item whose work throws does not stop
 * the others: every item is run and every call has ended before this returns, then the first
 * error, if any, is thrown (so nothing runs on after the caller has moved on).
 */
export async function forEachWithLimit<T>(
  items: readonly T[],
  limit: number,
  work: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const errors: unknown[] = [];
  const lane = async () => {
    while (next < items.length) {
      const item = items[next++] as T;
      await work(item).catch((err: unknown) => errors.push(err));
    }
  };
  await Promise.all(Array.from({ length: Math.min(Math.max(1, limit), items.length) }, lane));
  if (errors.length > 0) throw errors[0];
}
