-- The hourly prune deletes the sessions past their absolute limit. Without
-- this index it read every session, holding SQLite's one writer for the
-- whole scan (80 ms at a million sessions, and growing with them); with it,
-- only the expired ones. expires_at is set once, when the session starts.
CREATE INDEX sessions_expires ON sessions (expires_at);
