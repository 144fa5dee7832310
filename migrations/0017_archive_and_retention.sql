-- omisell-push: the archive of what retention deletes (the optional R2 binding ARCHIVE), and the
-- record of retention's runs. See docs/storage.md ("Archive" and "Retention").

-- One row per gzip NDJSON object retention wrote to ARCHIVE. `writing` while the object is being
-- written and its events not yet deleted; `written` once the events are gone, in the same D1
-- transaction as their delete. Only `written` objects are listed and served; a `writing` row left
-- by a run that stopped half-way is cleaned up (object, then row) by the next run.
CREATE TABLE archive_objects (
  key        TEXT PRIMARY KEY,      -- events/<yyyy>/<mm>/<dd>/<first_id>-<last_id>.ndjson.gz
  day        TEXT NOT NULL,         -- yyyy-mm-dd, UTC: the day its events arrived
  first_id   TEXT NOT NULL,         -- the lowest and highest event id in the object
  last_id    TEXT NOT NULL,
  count      INTEGER NOT NULL,      -- events in the object (one line each)
  bytes      INTEGER NOT NULL,      -- the object's size as stored (gzip)
  created_at INTEGER NOT NULL,      -- ms
  state      TEXT NOT NULL,         -- writing -> written
  run_id     TEXT NOT NULL          -- the retention run that wrote it
);

-- Listing by period (day range, then id order within a day), and the few unfinished rows.
CREATE INDEX archive_objects_by_day ON archive_objects (day, first_id);
CREATE INDEX archive_objects_writing ON archive_objects (run_id) WHERE state = 'writing';

-- One row per retention run (the minute cron). A run starts only when no other is `running`
-- (younger than its lease), so two runs never archive the same events. `archive`: what became of
-- archiving in the run (off: no binding; idle: nothing to archive; ok; failed): three `failed`
-- in a row are /health/pipeline's `archive_failing`.
CREATE TABLE retention_runs (
  id               TEXT PRIMARY KEY,  -- time-sortable like event ids
  started_at       INTEGER NOT NULL,  -- ms; the cron's scheduled time
  finished_at      INTEGER,
  status           TEXT NOT NULL,     -- running -> done | failed
  archive          TEXT NOT NULL,     -- off | idle | ok | failed
  archived_objects INTEGER NOT NULL DEFAULT 0,
  archived_events  INTEGER NOT NULL DEFAULT 0,
  removed          TEXT,              -- JSON: rows removed, by row kind
  error            TEXT
);
CREATE INDEX retention_runs_running ON retention_runs (started_at) WHERE status = 'running';

-- Never holds a row. Inserting 0 fails its CHECK, which rolls back the whole D1 batch the insert
-- is in: retention puts a conditional insert first in the batch that deletes a chunk of events,
-- so the chunk (and whatever runs with it) goes only if none of its events changed since it was
-- read and archived.
CREATE TABLE retention_guard (
  ok INTEGER NOT NULL CONSTRAINT chunk_unchanged CHECK (ok = 1)
);

-- Self-test pushes (source = 'selftest') are purged after a day down events_selftest, the partial
-- index of migration 0016.
