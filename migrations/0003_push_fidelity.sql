-- omisell-push: what a push really looked like when it arrived.
-- See docs/storage.md for the meaning of every column.

-- The signature scheme the push matched: 'hmac' (HMAC-SHA256 of url|body) or 'static' (the
-- Authorization header equals a configured secret); NULL when not checked, or when nothing
-- matched and the push was kept anyway (SIGNATURE_MODE=report).
ALTER TABLE events ADD COLUMN signature_scheme TEXT;

-- The request headers kept for debugging, as a JSON object: an allow-list of non-secret headers
-- (never Authorization or Cookie), each value and the whole capped in length. NULL when none.
ALTER TABLE events ADD COLUMN headers TEXT;
