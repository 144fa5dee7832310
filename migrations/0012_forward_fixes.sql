-- omisell-push: forwarding's catch-up. The forwarding cron walks the change feed (events.seq) past
-- this watermark and creates the deliveries of settled events that have none for their
-- settlement (the write after the settling write failed, or the worker stopped in between).
-- See docs/forwarding.md.

-- last_seq: the highest seq the catch-up has handled; NULL while forwarding is off or before its
-- first run, and the first run with forwarding on starts from the newest change (nothing settled
-- while forwarding was off is sent).
CREATE TABLE forward_watermark (
  id       INTEGER PRIMARY KEY CHECK (id = 1),
  last_seq INTEGER
);
INSERT INTO forward_watermark (id, last_seq) VALUES (1, NULL);
