-- omisell-push: the change feed. Every insert and every status change of an event takes the next
-- value of one counter, `seq`, inside the statement that makes the change (triggers run in its
-- transaction). `GET /api/feed?after=<seq>` lists events whose current seq is greater.
-- See docs/change-feed.md for why a client following the feed cannot skip a change.

ALTER TABLE events ADD COLUMN seq INTEGER;

-- Rows stored before this migration are numbered in id (arrival) order.
UPDATE events SET seq = numbered.n
FROM (SELECT id, ROW_NUMBER() OVER (ORDER BY id) AS n FROM events) AS numbered
WHERE numbered.id = events.id;

-- The feed walks seq ascending; the triggers read MAX(seq) from the end of this index.
CREATE UNIQUE INDEX events_by_seq ON events (seq);

-- The highest seq a deleted event held. Without it, purging the event that holds the highest seq
-- would hand that value out again, and a client already past it would miss the next change.
CREATE TABLE feed_floor (
  id       INTEGER PRIMARY KEY CHECK (id = 1),
  last_seq INTEGER NOT NULL
);
INSERT INTO feed_floor (id, last_seq) VALUES (1, 0);

CREATE TRIGGER events_seq_on_insert AFTER INSERT ON events
BEGIN
  UPDATE events
  SET seq = MAX(COALESCE((SELECT MAX(seq) FROM events), 0), (SELECT last_seq FROM feed_floor WHERE id = 1)) + 1
  WHERE id = NEW.id;
END;

CREATE TRIGGER events_seq_on_status AFTER UPDATE OF status ON events
WHEN NEW.status IS NOT OLD.status
BEGIN
  UPDATE events
  SET seq = MAX(COALESCE((SELECT MAX(seq) FROM events), 0), (SELECT last_seq FROM feed_floor WHERE id = 1)) + 1
  WHERE id = NEW.id;
END;

CREATE TRIGGER events_seq_floor_on_delete AFTER DELETE ON events
WHEN OLD.seq > (SELECT last_seq FROM feed_floor WHERE id = 1)
BEGIN
  UPDATE feed_floor SET last_seq = OLD.seq WHERE id = 1;
END;
