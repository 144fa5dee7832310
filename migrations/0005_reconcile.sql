-- omisell-push: reconciliation (periodic order list against the pushes received).
-- See docs/storage.md ("Reconciliation") for the meaning of every column.

-- Where an event came from: 'push' (Omisell sent it) or 'reconcile' (the order list showed a
-- change no push told us about). Every row stored before this migration is a push.
ALTER TABLE events ADD COLUMN source TEXT NOT NULL DEFAULT 'push';

-- One row per reconciled window (cron) or per requested range (manual).
CREATE TABLE reconcile_runs (
  id            TEXT PRIMARY KEY,            -- time-sortable like event ids: newest first by id
  trigger       TEXT NOT NULL,               -- cron | manual
  window_from   INTEGER NOT NULL,            -- ms since epoch, inclusive
  window_to     INTEGER NOT NULL,            -- ms since epoch, inclusive
  started_at    INTEGER NOT NULL,            -- ms; equals the time encoded in id
  finished_at   INTEGER,
  status        TEXT NOT NULL,               -- running -> done | failed
  orders_listed INTEGER NOT NULL DEFAULT 0,  -- order changes the list answered
  missed        INTEGER NOT NULL DEFAULT 0,  -- of those, changes no push had told us about
  error         TEXT
);

-- The last cron run, and the last successful or finished cron run, without a scan.
CREATE INDEX reconcile_runs_by_trigger        ON reconcile_runs (trigger, id);
CREATE INDEX reconcile_runs_by_trigger_status ON reconcile_runs (trigger, status, id);

-- One row: the end of the last window the cron listed completely.
CREATE TABLE reconcile_checkpoint (
  id            INTEGER PRIMARY KEY CHECK (id = 1),
  checkpoint_at INTEGER NOT NULL,            -- ms since epoch
  updated_at    INTEGER NOT NULL
);
