-- omisell-push: destinations and alerts. A destination is a URL that receives settled events with
-- its own filter, format, secret, rate cap and cursor on the change feed; FORWARD_URL is the
-- destination `default`. Deliveries are created only by each destination's walk of the feed,
-- which replaces forwarding's catch-up and its watermark. Alerts are recorded and sent by the cron.
-- See docs/forwarding.md (destinations) and docs/storage.md for every column and index.

CREATE TABLE destinations (
  id                    TEXT PRIMARY KEY,            -- dst_<ulid>, or 'default' (FORWARD_URL)
  name                  TEXT NOT NULL,
  url                   TEXT NOT NULL,
  format                TEXT NOT NULL DEFAULT 'envelope', -- envelope | raw
  filter                TEXT NOT NULL DEFAULT '{}',  -- JSON: events, categories, statuses, seller_ids (ANDed)
  rate_per_minute       INTEGER,                     -- NULL: no cap
  state                 TEXT NOT NULL,               -- active | paused | disabled
  disabled_reason       TEXT,                        -- why paused by config or disabled
  cursor_seq            INTEGER NOT NULL,            -- the feed position walked so far
  secret                TEXT,                        -- whsec_…; NULL for default (FORWARD_SECRET)
  previous_secret       TEXT,                        -- after a rotation, until previous_secret_until
  previous_secret_until INTEGER,                     -- ms
  walk_token            TEXT,                        -- written by the walk that last moved the cursor
  next_slot_at          INTEGER,                     -- ms; rate cap: the earliest start of the next attempt
  ticket_at             INTEGER,                     -- ms; rate cap: the last wait handed out
  last_success_at       INTEGER,                     -- ms; the last 2xx
  failing_since         INTEGER,                     -- ms; first failed attempt since the last 2xx, else NULL
  last_error            TEXT,
  last_error_at         INTEGER,
  disabled_at           INTEGER,                     -- ms; when it was disabled for failing (cleared by recovery)
  events_lost           INTEGER NOT NULL DEFAULT 0,  -- matching events purged by retention before its cursor reached them
  created_at            INTEGER NOT NULL,
  updated_at            INTEGER NOT NULL
);

-- FORWARD_URL's destination. It is kept in step with the config by every walk; until one runs
-- with FORWARD_URL set it is paused with the config's reason. Its cursor carries forwarding's
-- catch-up watermark when forwarding was on, else the newest change: nothing settled before is sent.
INSERT INTO destinations (id, name, url, state, disabled_reason, cursor_seq, created_at, updated_at)
SELECT 'default', 'default (FORWARD_URL)', '', 'paused', 'FORWARD_URL is not set',
  COALESCE((SELECT last_seq FROM forward_watermark WHERE id = 1),
           MAX(COALESCE((SELECT MAX(seq) FROM events), 0), (SELECT last_seq FROM feed_floor WHERE id = 1))),
  CAST(strftime('%s', 'now') AS INTEGER) * 1000, CAST(strftime('%s', 'now') AS INTEGER) * 1000;

DROP TABLE forward_watermark;

-- Every delivery so far went to FORWARD_URL.
ALTER TABLE deliveries ADD COLUMN destination_id TEXT NOT NULL DEFAULT 'default';

-- One delivery per destination and settlement of an event.
DROP INDEX deliveries_by_settlement;
CREATE UNIQUE INDEX deliveries_by_settlement ON deliveries (destination_id, event_id, settlement);
-- A destination's deliveries newest first, and by status (retry-failed, resume, the list filters).
CREATE INDEX deliveries_by_destination ON deliveries (destination_id, id);
CREATE INDEX deliveries_by_destination_status ON deliveries (destination_id, status, id);

-- Delivered and failed attempts per destination and hour, for the 24-hour health without a scan.
CREATE TABLE destination_hours (
  destination_id TEXT NOT NULL,
  hour           INTEGER NOT NULL,                   -- ms, start of the hour
  delivered      INTEGER NOT NULL DEFAULT 0,
  failed         INTEGER NOT NULL DEFAULT 0,         -- failed attempts
  PRIMARY KEY (destination_id, hour)
) WITHOUT ROWID;

CREATE TABLE alerts (
  id         TEXT PRIMARY KEY,                       -- time-sortable; the webhook-id of a signed alert
  kind       TEXT NOT NULL,                          -- health.degraded | health.recovered | destination.disabled | …
  subject    TEXT NOT NULL,                          -- what it is about: the reasons, a destination id, `events`
  data       TEXT NOT NULL,                          -- JSON: the details sent
  created_at INTEGER NOT NULL,
  sent_at    INTEGER,
  status     TEXT NOT NULL,                          -- pending -> sent | failed
  attempts   INTEGER NOT NULL DEFAULT 0,
  last_error TEXT
);
-- Repeats of one kind and subject within ALERT_REPEAT_MINUTES are suppressed: one seek.
CREATE INDEX alerts_by_subject ON alerts (kind, subject, created_at);
-- The cron sends the pending ones, oldest first.
CREATE INDEX alerts_by_status ON alerts (status, id);

-- The last state the alerts cron saw of each thing it watches (`health`, `destination:<id>`,
-- `retention:<id>`), so a change of state alerts once.
CREATE TABLE alert_states (
  key        TEXT PRIMARY KEY,
  state      TEXT NOT NULL,
  changed_at INTEGER NOT NULL
) WITHOUT ROWID;
