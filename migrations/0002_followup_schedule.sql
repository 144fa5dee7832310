-- omisell-push: follow-up bookkeeping (when a retry is due).

-- ms since epoch; when the follow-up of a `received` event is next expected to run: set when a
-- retry is scheduled (now + delay), on replay and when the sweeper re-enqueues. NULL means
-- "right after received_at". The cron sweeper re-enqueues only events whose next attempt is
-- overdue by SWEEP_AFTER_SECONDS, so an event waiting out a long backoff is not sent twice.
ALTER TABLE events ADD COLUMN next_attempt_at INTEGER;

-- The retention purge removes snapshots not refreshed for RETENTION_DAYS without a full scan.
CREATE INDEX resources_by_fetched_at ON resources (fetched_at);
