-- omisell-push: progress of manual reconciliation runs.
-- A manual run may span up to 15 days (360 windows of an hour): it is listed a few windows per
-- cron invocation, and this column says how far it got, so the next invocation continues there.

-- Manual runs: the end (ms, inclusive) of the last window listed; null before the first window.
-- Cron runs are one window each and leave it null.
ALTER TABLE reconcile_runs ADD COLUMN listed_to INTEGER;
