-- omisell-push: follow-up fixes (replay budgets for the sweeper, failure times, waiting ages).

-- The event's `attempts` when a replay last reopened it (NULL: never reopened). A replay's retry
-- budget counts from there; the sweeper puts it back on a message it re-sends for the replay.
ALTER TABLE events ADD COLUMN reopen_attempts INTEGER;

-- A failure now records when it settled in processed_at, as processed and skipped events do.
-- Failures recorded before did not: they are dated by their arrival, the best time known.
UPDATE events SET processed_at = received_at WHERE status = 'failed' AND processed_at IS NULL;

-- /health/pipeline's newest failure: one seek at the top of this index, however many failed.
CREATE INDEX events_failed_by_time ON events (processed_at) WHERE status = 'failed';

-- /health/pipeline's oldest waiting event, by how long it has waited: since its arrival, or since
-- a replay reopened it (a replay of an old event is not a stale backlog). One seek.
CREATE INDEX events_waiting_since ON events (COALESCE(reopened_at, received_at)) WHERE status = 'received';
