-- omisell-push: sale day within Omisell's budget (freshness, settling from the order list, the
-- detail backfill) and reconciliation windows that never block the ones after them.
-- See docs/storage.md ("Sale day", "Reconciliation") and docs/budget.md for every column and table.

-- How a settled event was settled: 'detail' (a fetch of its order's detail that started after it
-- arrived), 'snapshot' (the stored detail already covered it: no call), 'list' (the order list
-- showed its order changed at or after its arrival less a minute of clock skew); NULL for
-- skipped and failed events, events still waiting, and events settled before this migration.
ALTER TABLE events ADD COLUMN settled_by TEXT;

-- The order as the order list last showed it (Omisell's order header, JSON text) when a listing
-- settled one of its events, and when that list call started (ms, our clock). While
-- summary_at > fetched_at the summary is newer than the detail snapshot: forwarding adds it to the
-- order it sends, and the detail backfill fetches the detail again.
ALTER TABLE resources ADD COLUMN summary TEXT;
ALTER TABLE resources ADD COLUMN summary_at INTEGER;

-- The detail backfill's queue: orders whose summary is newer than their detail, oldest first.
CREATE INDEX resources_detail_due ON resources (summary_at) WHERE summary_at > fetched_at;

-- One list walk at a time per Omisell seller ('' when the credential has none): the consumer batch
-- holding the lease lists, the others wait for what it settles. `started_at` spaces walks out.
CREATE TABLE followup_list_walks (
  seller     TEXT PRIMARY KEY,
  token      TEXT NOT NULL,
  until      INTEGER NOT NULL,   -- ms; the lease lapses here should its consumer die
  started_at INTEGER NOT NULL    -- ms; when the last walk began
) WITHOUT ROWID;

-- Freshness: how long events took from arrival (or a replay's reopen) to settling, counted by the
-- 10-minute slot they settled in and a fixed latency bucket (`le_seconds`: the bucket's upper edge,
-- seconds; the last one, 86400, also holds anything slower). Kept by the trigger below in the
-- follow-up's settling write, never in the push's insert; self-test pushes are left out.
CREATE TABLE freshness_histogram (
  slot       INTEGER NOT NULL,   -- ms; start of the 10-minute slot the event settled in
  le_seconds INTEGER NOT NULL,
  n          INTEGER NOT NULL,
  PRIMARY KEY (slot, le_seconds)
) WITHOUT ROWID;

-- The edges must equal FRESHNESS_EDGES_SECONDS in src/lib/freshness-buckets.ts (a test compares them).
CREATE TRIGGER freshness_on_settle
AFTER UPDATE OF status ON events
WHEN OLD.status = 'received' AND NEW.status IN ('processed', 'skipped', 'failed')
  AND NEW.processed_at IS NOT NULL AND NEW.source <> 'selftest'
BEGIN
  INSERT INTO freshness_histogram (slot, le_seconds, n)
  SELECT (NEW.processed_at / 600000) * 600000,
    CASE
      WHEN d <= 1000 THEN 1
      WHEN d <= 2000 THEN 2
      WHEN d <= 3000 THEN 3
      WHEN d <= 4000 THEN 4
      WHEN d <= 5000 THEN 5
      WHEN d <= 6000 THEN 6
      WHEN d <= 8000 THEN 8
      WHEN d <= 10000 THEN 10
      WHEN d <= 12000 THEN 12
      WHEN d <= 15000 THEN 15
      WHEN d <= 20000 THEN 20
      WHEN d <= 25000 THEN 25
      WHEN d <= 30000 THEN 30
      WHEN d <= 40000 THEN 40
      WHEN d <= 50000 THEN 50
      WHEN d <= 60000 THEN 60
      WHEN d <= 75000 THEN 75
      WHEN d <= 90000 THEN 90
      WHEN d <= 120000 THEN 120
      WHEN d <= 150000 THEN 150
      WHEN d <= 180000 THEN 180
      WHEN d <= 240000 THEN 240
      WHEN d <= 300000 THEN 300
      WHEN d <= 420000 THEN 420
      WHEN d <= 600000 THEN 600
      WHEN d <= 900000 THEN 900
      WHEN d <= 1200000 THEN 1200
      WHEN d <= 1800000 THEN 1800
      WHEN d <= 2700000 THEN 2700
      WHEN d <= 3600000 THEN 3600
      WHEN d <= 5400000 THEN 5400
      WHEN d <= 7200000 THEN 7200
      WHEN d <= 10800000 THEN 10800
      WHEN d <= 21600000 THEN 21600
      WHEN d <= 43200000 THEN 43200
      ELSE 86400
    END,
    1
  FROM (SELECT NEW.processed_at - COALESCE(NEW.reopened_at, NEW.received_at) AS d)
  WHERE true
  ON CONFLICT (slot, le_seconds) DO UPDATE SET n = n + 1;
END;

-- Reconciliation: rows of the order list that could not be read are skipped, counted, and the
-- first few kept (JSON array of {page, index, reason, raw}); the window still completes.
ALTER TABLE reconcile_runs ADD COLUMN skipped_rows INTEGER NOT NULL DEFAULT 0;
ALTER TABLE reconcile_runs ADD COLUMN skipped_samples TEXT;

-- A cron window that failed 3 times is skipped (the checkpoint moves past it) and kept here until a
-- run lists it (POST /api/reconcile over its range): /health/pipeline reports `reconcile_gap` meanwhile.
CREATE TABLE reconcile_gaps (
  window_from INTEGER NOT NULL,  -- ms, inclusive
  window_to   INTEGER NOT NULL,  -- ms, inclusive
  error       TEXT NOT NULL,     -- the last failure
  skipped_at  INTEGER NOT NULL,  -- ms; when the cron gave up on it
  filled_at   INTEGER,           -- ms; when a run listed it completely (NULL: still a gap)
  filled_by   TEXT,              -- that run's id
  PRIMARY KEY (window_from, window_to)
) WITHOUT ROWID;
CREATE INDEX reconcile_gaps_open ON reconcile_gaps (window_from) WHERE filled_at IS NULL;
