-- omisell-push: the event log and the latest snapshot of each Omisell resource.
-- See docs/storage.md for the meaning of every column and index.

CREATE TABLE events (
  id              TEXT PRIMARY KEY,          -- time-sortable: 10 chars of ms timestamp + 16 random (Crockford base32)
  dedupe_key      TEXT NOT NULL UNIQUE,      -- request_id, or "sha256:<hex of raw body>"
  request_id      TEXT,
  event           TEXT,                      -- event name as sent; NULL when the payload had none
  category        TEXT NOT NULL,             -- order | shipment | return | sale_invoice | unknown | invalid
  seller_id       TEXT,
  resource_type   TEXT,                      -- order | shipment | return | invoice
  resource_id     TEXT,
  order_number    TEXT,                      -- omisell_order_number, whatever the category (order timeline, follow-up)
  status          TEXT NOT NULL,             -- received -> processed | skipped | failed ; or invalid
  attempts        INTEGER NOT NULL DEFAULT 0,
  last_error      TEXT,
  signature_valid INTEGER,                   -- 1 valid, 0 invalid (report mode), NULL not checked
  received_at     INTEGER NOT NULL,          -- ms since epoch; equals the time encoded in id
  processed_at    INTEGER,
  payload         TEXT NOT NULL              -- the raw body, verbatim
);

-- Every list filter is answered from (filter, id): equality on the filter, newest-first walk on id.
CREATE INDEX events_by_event    ON events (event, id);
CREATE INDEX events_by_category ON events (category, id);
CREATE INDEX events_by_status   ON events (status, id);
CREATE INDEX events_by_resource ON events (resource_id, id);
CREATE INDEX events_by_seller   ON events (seller_id, id);
CREATE INDEX events_by_order    ON events (order_number, id);

CREATE TABLE resources (
  type          TEXT NOT NULL,               -- order
  id            TEXT NOT NULL,               -- omisell_order_number
  seller_id     TEXT,
  status_name   TEXT,
  data          TEXT NOT NULL,               -- JSON of Omisell's `data` object, as returned
  fetched_at    INTEGER NOT NULL,            -- ms; when the fetch that produced this snapshot started
  last_event_id TEXT,
  PRIMARY KEY (type, id)
);
