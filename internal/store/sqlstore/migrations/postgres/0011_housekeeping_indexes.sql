-- Housekeeping deletes, every hour, the sessions past their absolute limit
-- and the email and text messages sent or failed before the retention
-- period. Without these indexes each delete read the whole table (every
-- session; every finished message of the retention period), holding
-- SQLite's one writer for the scan: 80 ms at a million sessions, and
-- growing with them. expires_at and created_at are set once, on insert.
CREATE INDEX sessions_expires ON sessions (expires_at);
CREATE INDEX mail_outbox_done ON mail_outbox (status, created_at);
CREATE INDEX sms_outbox_done ON sms_outbox (status, created_at);
