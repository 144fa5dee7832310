/**
 * Retention and the archive read and delete through indexes: the test asks SQLite for each
 * statement's plan and fails on a whole-table scan, so a run's cost does not grow with what is kept.
 */
import { describe, expect, it } from "vitest";
import { ARCHIVE_SQL } from "../src/store/archive";
import { RETENTION_SQL } from "../src/store/retention";
import { RETENTION_RUN_SQL } from "../src/store/retention-runs";
import { fullScans, planOf } from "./helpers/query-plan";

const TABLES = ["events", "e", "deliveries", "d", "resources", "r", "archive_objects", "retention_runs", "replays"];
const ID = "01KB0000000000000000000000";
const NOW = 1_796_000_000_000;

describe("the retention policy's statements", () => {
  it.each<[string, string, (string | number)[], string]>([
    [
      "settling what never finished walks received events by status",
      RETENTION_SQL.settleUnfinished,
      [ID, NOW, NOW, "x", 500],
      "events_by_status",
    ],
    [
      "a chunk of events walks the primary key, its pending deliveries by event",
      RETENTION_SQL.eventChunk,
      [ID, NOW, 500],
      "deliveries_by_event",
    ],
    [
      "a chunk's guard finds its events by id and their pending deliveries by event",
      RETENTION_SQL.chunkGuard,
      ['["a"]', "[1]", 1],
      "deliveries_by_event",
    ],
    ["self-tests are found on their own partial index", RETENTION_SQL.selftestEvents, [ID, 500], "events_selftest"],
    [
      "snapshots go by fetch time, their orders' events looked up by order",
      RETENTION_SQL.snapshots,
      [NOW, 500],
      "events_by_order",
    ],
    ["ended deliveries are found by status and id", RETENTION_SQL.deliveries, [ID, 500], "deliveries_by_status"],
    [
      "the run lease reads only running runs",
      RETENTION_RUN_SQL.start,
      ["r", NOW, "off", NOW],
      "retention_runs_running",
    ],
    [
      "a period's objects are read by day",
      ARCHIVE_SQL.byDays,
      ["2026-03-01", "2026-03-07", 100],
      "archive_objects_by_day",
    ],
    [
      "unfinished objects are read from their partial index",
      ARCHIVE_SQL.unfinished,
      ["r", 50],
      "archive_objects_writing",
    ],
    [
      "a period's live events walk the primary key (its index on id)",
      ARCHIVE_SQL.liveEvents,
      [ID, ID, "", 100],
      "sqlite_autoindex_events_1",
    ],
  ])("%s", async (_case, sql, params, index) => {
    const plan = await planOf(sql, params);
    expect(fullScans(plan, TABLES), plan.join(" | ")).toEqual([]);
    expect(plan.join(" | ")).toContain(index);
  });
});
