/**
 * Runs async work over a list with at most `limit` calls in flight: the bound on how hard one
 * consumer invocation presses on the Omisell API (FOLLOWUP_PARALLELISM).
 */
export async function forEachWithLimit<T>(
  items: readonly T[],
  limit: number,
  work: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const lane = async () => {
    while (next < items.length) {
      const item = items[next++] as T;
      await work(item);
    }
  };
  await Promise.all(Array.from({ length: Math.min(Math.max(1, limit), items.length) }, lane));
}
