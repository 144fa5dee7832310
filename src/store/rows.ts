/** Reading the rows a statement gives back, one way for every store file. */

/**
 * The rows of a read, or of a write with RETURNING.
 * @example const runs = await rowsOf<ReconcileRun>(db.prepare(RECONCILE_SQL.runningManualRuns).bind(limit));
 */
export async function rowsOf<T>(statement: D1PreparedStatement): Promise<T[]> {
  return (await statement.all<T>()).results;
}
