-- omisell-push: follow-up generations, bulk replays (see docs/budget.md).

-- Which follow-up of the event is current: 0 for the first, +1 on every reopen (replay). Queue
-- messages carry the generation they were sent for, and every follow-up write checks it, so a late
-- answer of an older attempt (a 404, a dead letter) can never settle the event a replay reopened.
ALTER TABLE events ADD COLUMN generation INTEGER NOT NULL DEFAULT 0;

-- ms; when a replay last reopened the event (NULL: never). A replay asks for the order anew, so
-- only a snapshot whose fetch started after this settles the reopened event.
ALTER TABLE events ADD COLUMN reopened_at INTEGER;

-- The bulk replay that last reopened the event (NULL: never replayed in bulk). Progress of a
-- replay is two counts on events_by_replay, bounded by the replay's size.
ALTER TABLE events ADD COLUMN replay_id TEXT;
CREATE INDEX events_by_replay ON events (replay_id, status) WHERE replay_id IS NOT NULL;

-- One row per bulk replay (POST /api/events/replay). The events are reopened in chunks walking up
-- the id index from `cursor`, never past `upper_id` (the newest id when the replay was asked for);
-- `finished_at` is set when the walk has reached the end.
CREATE TABLE replays (
  id          TEXT PRIMARY KEY,            -- time-sortable, like event ids
  filters     TEXT NOT NULL,               -- JSON of the list filters it was asked with
  matched     INTEGER NOT NULL,            -- events the filters matched when it was asked for
  queued      INTEGER NOT NULL DEFAULT 0,  -- events reopened and enqueued so far
  cursor      TEXT,                        -- the last event id walked (exclusive lower bound of the next chunk)
  upper_id    TEXT NOT NULL,               -- exclusive upper bound on event ids
  created_at  INTEGER NOT NULL,            -- ms
  finished_at INTEGER                      -- ms; NULL while chunks remain
);
CREATE INDEX replays_unfinished ON replays (created_at) WHERE finished_at IS NULL;

-- Which consumer is fetching an order right now: concurrent batches holding events of one order
-- fetch it once. A claim is taken for all of a batch's orders in one statement, released when the
-- batch is done, and lapses at `until` (ms) should its consumer die.
CREATE TABLE order_fetch_claims (
  order_number TEXT PRIMARY KEY,
  token        TEXT NOT NULL,
  until        INTEGER NOT NULL
) WITHOUT ROWID;
