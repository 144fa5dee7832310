/**
 * The statements of src/store the bench explains (scripts/bench/queries.ts), as that file uses
 * them. Node runs the bench, and src/ resolves its imports the bundler's way, so the statements
 * reach it bundled by esbuild from workers/event-store.ts, which is checked against this shape.
 */

/** A statement with its parameters, as src/store builds them. */
export type Statement = { sql: string; params: readonly unknown[] };

export type EventStore = {
  eventListStatement(query: {
    filters: Record<string, string>;
    limit: number;
    minId?: string;
    maxId?: string;
  }): Statement;
  ORDER_TIMELINE_SQL: string;
  STATS_SQL: Record<string, string>;
  LIST_FILTER_COLUMNS: readonly string[];
};
