-- Leases of background jobs that must run on one node at a time. On
-- PostgreSQL a session advisory lock does this; the table serves SQLite,
-- and holds the same columns here so both dialects keep one schema.
CREATE TABLE job_leases (
    name   TEXT   NOT NULL PRIMARY KEY,
    holder TEXT   NOT NULL,
    until  BIGINT NOT NULL
);
