/** All SQL of order fetch claims: one consumer batch fetches an order, the others leave it to it. */

/**
 * Claims the orders not claimed by anyone else (or whose claim lapsed at its `until`: claims are
 * short leases, so a dead consumer's lapse); returns those it got.
 */
export async function claimOrderFetches(
  db: D1Database,
  orderNumbers: readonly string[],
  token: string,
  now: number,
  until: number,
): Promise<Set<string>> {
  const { results } = await db
    .prepare(
      `INSERT INTO order_fetch_claims (order_number, token, until)
       SELECT value, ?2, ?3 FROM json_each(?1) WHERE true
       ON CONFLICT (order_number) DO UPDATE SET token = excluded.token, until = excluded.until
       WHERE order_fetch_claims.until <= ?4
       RETURNING order_number`,
    )
    .bind(JSON.stringify(orderNumbers), token, until, now)
    .all<{ order_number: string }>();
  return new Set(results.map((row) => row.order_number));
}

/** Releases this batch's claims, and any that lapsed (the table only ever holds live claims). */
export async function releaseOrderFetches(db: D1Database, token: string, now: number): Promise<void> {
  await db.prepare("DELETE FROM order_fetch_claims WHERE token = ?1 OR until <= ?2").bind(token, now).run();
}

/**
 * Releases one order's claim held by this batch, as a statement to run in the same `db.batch` as
 * the order's snapshot write: a push for that order arriving meanwhile finds the order free (and
 * the snapshot) instead of bouncing off a claim until the whole batch ends.
 */
export function releaseOrderFetchStatement(db: D1Database, orderNumber: string, token: string): D1PreparedStatement {
  return db.prepare("DELETE FROM order_fetch_claims WHERE order_number = ?1 AND token = ?2").bind(orderNumber, token);
}
