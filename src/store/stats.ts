/**
 * The stats figures of the read API and the dashboard overview, in one round trip, never by
 * counting the events table.
 */
import { EVENT_STATUSES, type EventStatus, type EventSummaryRow } from "../events/vocabulary";
import { decodeEventRow, type StoredEventSummary, SUMMARY_SELECT } from "./event-columns";

/** Events above the watermark counted live; past this the figures say they are incomplete. */
export const TAIL_CAP = 5_000;

/**
 * The events the stats count: all but the doctor's self-test pushes. The rollup passes over them
 * like the rest (its watermark moves past them) but counts none, so the count triggers
 * (migrations/0008, 0010) find no count of theirs to adjust when one is purged; they never change
 * status (never followed up, never replayed).
 */
export const COUNTED = "source <> 'selftest'";

const TAIL = `SELECT received_at, category, COALESCE(event, '') AS event, status, source FROM events
  WHERE rowid > (SELECT watermark FROM event_rollup WHERE singleton = 1) ORDER BY rowid LIMIT ${TAIL_CAP + 1}`;

/**
 * The statements behind the stats, by name, so the query-plan test can explain each. Counts come
 * from `event_counts` / `event_counts_hourly` and the tail; the rest walk the `(status, id)`
 * index or the primary key for a handful of rows.
 */
export const STATS_SQL = {
  byStatus: `SELECT status, SUM(n) AS n FROM event_counts WHERE status IN (${EVENT_STATUSES.map((s) => `'${s}'`).join(", ")}) GROUP BY status`,
  byEvent: "SELECT event, SUM(n) AS n FROM event_counts WHERE event != '' GROUP BY event",
  /** ?1: the start of the 24-hour window (ms). */
  hourly: "SELECT hour, category, status, SUM(n) AS n FROM event_counts_hourly WHERE hour >= ?1 GROUP BY 1, 2, 3",
  tail: `SELECT category, event, status, (received_at / 3600000) * 3600000 AS hour, COUNT(*) AS n FROM (${TAIL})
    WHERE ${COUNTED} GROUP BY 1, 2, 3, 4`,
  recentFailures: `SELECT ${SUMMARY_SELECT} FROM events WHERE status = 'failed' ORDER BY id DESC LIMIT 5`,
  oldestBacklog: "SELECT id, received_at FROM events WHERE status = 'received' ORDER BY id LIMIT 1",
  lastReceived: `SELECT id, event, received_at FROM events WHERE ${COUNTED} ORDER BY id DESC LIMIT 1`,
} as const;

type Count = { category: string; event: string; status: EventStatus; hour: number; n: number };

export type EventStatsRows = {
  byStatus: { status: EventStatus; n: number }[];
  byEvent: { event: string; n: number }[];
  /** Per hour of the window (oldest first), the counts by category. */
  hourly: { category: string; n: number }[][];
  failedSince: number;
  recentFailures: EventSummaryRow[];
  oldestBacklog: { id: string; received_at: number } | null;
  lastReceived: { id: string; event: string | null; received_at: number } | null;
  /** False when more events wait to be rolled up than the stats count live. */
  complete: boolean;
};

function add<K>(map: Map<K, number>, key: K, n: number) {
  map.set(key, (map.get(key) ?? 0) + n);
}

/**
 * All stats figures in one round trip; `windowStart` (ms) is the start of the 24 hourly buckets.
 * Read from the event counts (store/event-counts.ts): what they read is bounded by the vocabulary
 * (categories x event names x statuses) and by the tail of events not rolled up yet (at most
 * TAIL_CAP rows), whatever the number of stored events.
 */
export async function readEventStats(db: D1Database, windowStart: number): Promise<EventStatsRows> {
  const [byStatus, byEvent, hourly, tail, recentFailures, oldestBacklog, lastReceived] = await db.batch([
    db.prepare(STATS_SQL.byStatus),
    db.prepare(STATS_SQL.byEvent),
    db.prepare(STATS_SQL.hourly).bind(windowStart),
    db.prepare(STATS_SQL.tail),
    db.prepare(STATS_SQL.recentFailures),
    db.prepare(STATS_SQL.oldestBacklog),
    db.prepare(STATS_SQL.lastReceived),
  ]);
  const rows = <T>(result: D1Result<unknown> | undefined) => (result?.results ?? []) as T[];
  const statuses = new Map<EventStatus, number>();
  const events = new Map<string, number>();
  const hours = new Map<number, Map<string, number>>();
  let failedSince = 0;
  const addHour = ({ hour, category, status, n }: Omit<Count, "event">) => {
    if (hour < windowStart) return;
    const bucket = hours.get(hour) ?? new Map<string, number>();
    add(bucket, category, n);
    hours.set(hour, bucket);
    if (status === "failed") failedSince += n;
  };
  for (const { status, n } of rows<{ status: EventStatus; n: number }>(byStatus)) add(statuses, status, n);
  for (const { event, n } of rows<{ event: string; n: number }>(byEvent)) add(events, event, n);
  for (const count of rows<Omit<Count, "event">>(hourly)) addHour(count);
  let tailSize = 0;
  for (const count of rows<Count>(tail)) {
    tailSize += count.n;
    if ((EVENT_STATUSES as readonly string[]).includes(count.status)) add(statuses, count.status, count.n);
    if (count.event !== "") add(events, count.event, count.n);
    addHour(count);
  }
  const windowHours = Array.from({ length: 24 }, (_, i) => windowStart + i * 3_600_000);
  return {
    byStatus: [...statuses].map(([status, n]) => ({ status, n })),
    byEvent: [...events]
      .sort((a, b) => b[1] - a[1])
      .slice(0, 100)
      .map(([event, n]) => ({ event, n })),
    hourly: windowHours.map((hour) => [...(hours.get(hour) ?? [])].map(([category, n]) => ({ category, n }))),
    failedSince,
    recentFailures: rows<StoredEventSummary>(recentFailures).map(decodeEventRow),
    oldestBacklog: rows<{ id: string; received_at: number }>(oldestBacklog)[0] ?? null,
    lastReceived: rows<{ id: string; event: string | null; received_at: number }>(lastReceived)[0] ?? null,
    complete: tailSize <= TAIL_CAP,
  };
}
