-- omisell-push: the event rollup's watermark follows the purge down.
--
-- `events` has a text primary key, so SQLite gives a new row the largest rowid in the table plus
-- one. Once the purge deletes the rows holding the largest rowids (every event when the shop is
-- quiet, or a late row stored with an old id), new rows would take rowids at or below the
-- watermark: never rolled up, and a later status change would count them down below zero.
--
-- The delete trigger now runs for every deleted row: it adjusts the counts of a rolled-up row as
-- before, then lowers the watermark to the largest rowid left when that is below it. Every row
-- left is then at or below the watermark and was rolled up, and the next row stored gets a rowid
-- above it. MAX(rowid) is read from the end of the table's b-tree: one row per delete.

DROP TRIGGER event_counts_on_delete;

CREATE TRIGGER event_counts_on_delete
AFTER DELETE ON events
BEGIN
  UPDATE event_counts SET n = n - 1
    WHERE OLD.rowid <= (SELECT watermark FROM event_rollup WHERE singleton = 1)
      AND category = OLD.category AND event = COALESCE(OLD.event, '') AND status = OLD.status;
  UPDATE event_counts_hourly SET n = n - 1
    WHERE OLD.rowid <= (SELECT watermark FROM event_rollup WHERE singleton = 1)
      AND hour = (OLD.received_at / 3600000) * 3600000 AND category = OLD.category
      AND event = COALESCE(OLD.event, '') AND status = OLD.status;
  UPDATE event_rollup SET watermark = COALESCE((SELECT MAX(rowid) FROM events), 0)
    WHERE singleton = 1 AND watermark > COALESCE((SELECT MAX(rowid) FROM events), 0);
END;

-- The dashboard's missed pushes per day sum one event name's hourly counts over a week: this
-- index seeks that name and hour range and holds `n`, so the read is a handful of index rows
-- (one per hour and status the event occurred in) instead of every name's counts of the week.
CREATE INDEX event_counts_hourly_by_event ON event_counts_hourly (event, hour, n);
