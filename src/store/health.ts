/** The trivial query behind GET /health: proves D1 answers. */
export async function pingDatabase(db: D1Database): Promise<void> {
  await db.prepare("SELECT 1 AS ok").first();
}
