-- omisell-push: event counts kept off the push path, so the stats read a bounded number of rows
-- whatever the number of stored events (docs/storage.md "Event counts").
--
-- A cron step rolls up new events (rowid above the watermark: rowids grow in the order rows are
-- inserted, whatever the time in their id) into both tables. Later changes are kept by the
-- triggers below, which run in the writes that make them (the follow-up consumer's status
-- updates, the retention purge), never in the push's insert: only rows already rolled up
-- (rowid <= watermark) are adjusted, the rest are counted when rolled up.

-- Counts by the hour an event arrived (ms, start of the hour), its category, name and status.
CREATE TABLE event_counts_hourly (
  hour     INTEGER NOT NULL,
  category TEXT NOT NULL,
  event    TEXT NOT NULL,          -- '' when the push had no event name
  status   TEXT NOT NULL,
  n        INTEGER NOT NULL,
  PRIMARY KEY (hour, category, event, status)
) WITHOUT ROWID;

-- Counts over every stored event: as many rows as (category, event, status) combinations.
CREATE TABLE event_counts (
  category TEXT NOT NULL,
  event    TEXT NOT NULL,
  status   TEXT NOT NULL,
  n        INTEGER NOT NULL,
  PRIMARY KEY (category, event, status)
) WITHOUT ROWID;

-- One row: the events rowid up to which events are counted, and when the rollup last ran.
CREATE TABLE event_rollup (
  singleton  INTEGER PRIMARY KEY CHECK (singleton = 1),
  watermark  INTEGER NOT NULL,
  rolled_at  INTEGER NOT NULL
);
INSERT INTO event_rollup (singleton, watermark, rolled_at) VALUES (1, 0, 0);

CREATE TRIGGER event_counts_on_status
AFTER UPDATE OF status ON events
WHEN OLD.status IS NOT NEW.status AND OLD.rowid <= (SELECT watermark FROM event_rollup WHERE singleton = 1)
BEGIN
  UPDATE event_counts SET n = n - 1
    WHERE category = OLD.category AND event = COALESCE(OLD.event, '') AND status = OLD.status;
  INSERT INTO event_counts (category, event, status, n) VALUES (NEW.category, COALESCE(NEW.event, ''), NEW.status, 1)
    ON CONFLICT (category, event, status) DO UPDATE SET n = n + 1;
  UPDATE event_counts_hourly SET n = n - 1
    WHERE hour = (OLD.received_at / 3600000) * 3600000 AND category = OLD.category
      AND event = COALESCE(OLD.event, '') AND status = OLD.status;
  INSERT INTO event_counts_hourly (hour, category, event, status, n)
    VALUES ((NEW.received_at / 3600000) * 3600000, NEW.category, COALESCE(NEW.event, ''), NEW.status, 1)
    ON CONFLICT (hour, category, event, status) DO UPDATE SET n = n + 1;
END;

CREATE TRIGGER event_counts_on_delete
AFTER DELETE ON events
WHEN OLD.rowid <= (SELECT watermark FROM event_rollup WHERE singleton = 1)
BEGIN
  UPDATE event_counts SET n = n - 1
    WHERE category = OLD.category AND event = COALESCE(OLD.event, '') AND status = OLD.status;
  UPDATE event_counts_hourly SET n = n - 1
    WHERE hour = (OLD.received_at / 3600000) * 3600000 AND category = OLD.category
      AND event = COALESCE(OLD.event, '') AND status = OLD.status;
END;
