-- omisell-push: follow-up fixes (replay budgets for the sweeper).

-- The event's `attempts` when a replay last reopened it (NULL: never reopened). A replay's retry
-- budget counts from there; the sweeper puts it back on a message it re-sends for the replay.
ALTER TABLE events ADD COLUMN reopen_attempts INTEGER;
