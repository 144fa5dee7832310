-- omisell-push: forwarding. One row per delivery of a settled event to FORWARD_URL.
-- See docs/forwarding.md for the meaning of every column and index.

CREATE TABLE deliveries (
  id               TEXT PRIMARY KEY,         -- time-sortable like event ids; also the `webhook-id` header
  event_id         TEXT NOT NULL,
  settlement       TEXT NOT NULL,            -- "<status>:<processed_at>:<attempts>" of the event when it settled
  status           TEXT NOT NULL,            -- pending -> delivered | failed ; failed -> pending by hand
  attempts         INTEGER NOT NULL DEFAULT 0,
  last_status_code INTEGER,                  -- HTTP status of the last attempt; NULL for a network error or timeout
  last_error       TEXT,                     -- why the last attempt failed; NULL once delivered
  next_attempt_at  INTEGER,                  -- ms; when the next attempt is due (NULL once delivered or failed)
  last_attempt_at  INTEGER,                  -- ms; when the last attempt ended
  retry_until      INTEGER NOT NULL,         -- ms; no attempt after this (created_at + 3 days; a manual retry moves it)
  delivered_at     INTEGER,
  created_at       INTEGER NOT NULL          -- ms; equals the time encoded in id
);

-- One delivery per settlement of an event: a repeated call adds nothing, a replay that settles
-- the event again (new processed_at or attempts) adds a new delivery.
CREATE UNIQUE INDEX deliveries_by_settlement ON deliveries (event_id, settlement);
-- Lists: equality on the filter, newest-first walk on id.
CREATE INDEX deliveries_by_status ON deliveries (status, id);
CREATE INDEX deliveries_by_event  ON deliveries (event_id, id);
-- The sweeper (pending and overdue) and the health check (failed within the last hour).
CREATE INDEX deliveries_due       ON deliveries (status, next_attempt_at);
CREATE INDEX deliveries_by_last_attempt ON deliveries (status, last_attempt_at);
