/** What SQLite plans for a statement, for the tests that hold the reads to an index. */
import { env } from "cloudflare:workers";

/** The steps of the statement's plan (the `detail` column of EXPLAIN QUERY PLAN), in order. */
export async function planOf(sql: string, params: (string | number)[] = []): Promise<string[]> {
  const { results } = await env.DB.prepare(`EXPLAIN QUERY PLAN ${sql}`)
    .bind(...params)
    .all<{ detail: string }>();
  return results.map((row) => row.detail);
}

/**
 * The steps that read one of `tables` whole: `SCAN <table>` (aliased or not) with nothing that
 * `allowed` accepts after it, by default an index.
 */
export function fullScans(
  plan: string[],
  tables: string[] = ["events"],
  allowed = /USING (COVERING )?INDEX/,
): string[] {
  const scan = new RegExp(`^SCAN (${tables.join("|")})\\b`);
  return plan.filter((step) => scan.test(step) && !allowed.test(step));
}
