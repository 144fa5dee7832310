/**
 * The event store's statements for the bench's query plans, bundled by esbuild into a module Node
 * can import (scripts/bench/queries.ts): src/store as the worker runs it, checked here against
 * the shape the bench reads.
 */
import { LIST_FILTER_COLUMNS } from "../../../src/events/vocabulary";
import { eventListStatement, ORDER_TIMELINE_SQL } from "../../../src/store/event-reads";
import { STATS_SQL } from "../../../src/store/stats";
import type { EventStore } from "../event-store.ts";

export const eventStore: EventStore = { eventListStatement, ORDER_TIMELINE_SQL, STATS_SQL, LIST_FILTER_COLUMNS };
