-- omisell-push: going live. The cron's last tick, for the doctor's `cron` check, and an index for
-- the purge of the doctor's self-test pushes (docs/storage.md).

-- One row once the cron has run: when its latest run started (wall clock, ms) and the time that
-- run was scheduled for (the controller's scheduledTime, ms). Written first thing in every run.
CREATE TABLE cron_tick (
  id             INTEGER PRIMARY KEY CHECK (id = 1),
  ticked_at      INTEGER NOT NULL,
  scheduled_time INTEGER NOT NULL
);

-- Self-test pushes (source = 'selftest') are purged a day after they arrive. Without this the
-- purge would walk every event older than a day to find the few self-tests; the partial index
-- holds only them, in id (arrival) order.
CREATE INDEX events_selftest ON events (id) WHERE source = 'selftest';
