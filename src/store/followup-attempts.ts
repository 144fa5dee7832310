/**
 * What the follow-up consumer needs to count its own tries: the events of a batch with their
 * `attempts` (real calls to Omisell that failed or succeeded; waits for rate-limit budget are
 * never counted).
 */

export type FollowupEventState = {
  id: string;
  event: string | null;
  category: string;
  status: string;
  order_number: string | null;
  seller_id: string | null;
  attempts: number;
};

export async function getFollowupEventStates(db: D1Database, ids: string[]): Promise<FollowupEventState[]> {
  const { results } = await db
    .prepare(
      `SELECT id, event, category, status, order_number, seller_id, attempts
       FROM events WHERE id IN (SELECT value FROM json_each(?1))`,
    )
    .bind(JSON.stringify(ids))
    .all<FollowupEventState>();
  return results;
}
