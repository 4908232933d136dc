-- Account protection: lockout settings, failed sign-in counts and the audit log.
ALTER TABLE organisations ADD COLUMN lockout_threshold INTEGER NOT NULL DEFAULT 5
    CHECK (lockout_threshold BETWEEN 1 AND 100);
ALTER TABLE organisations ADD COLUMN lockout_seconds INTEGER NOT NULL DEFAULT 900
    CHECK (lockout_seconds BETWEEN 60 AND 86400);

-- One row per identifier (an email address within an organisation). org_id 0
-- holds names of organisations that do not exist, so it has no foreign key.
CREATE TABLE signin_lockouts (
    org_id          INTEGER NOT NULL,
    identifier      TEXT    NOT NULL,
    failures        INTEGER NOT NULL,
    last_failure_at INTEGER NOT NULL,
    locked_until    INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (org_id, identifier)
);
CREATE INDEX signin_lockouts_last_failure ON signin_lockouts (last_failure_at);

-- member_id has no foreign key: entries outlive the members they concern.
CREATE TABLE audit_events (
    id          INTEGER PRIMARY KEY,
    org_id      INTEGER NOT NULL REFERENCES organisations(id) ON DELETE CASCADE,
    at          INTEGER NOT NULL,
    kind        TEXT    NOT NULL,
    member_id   INTEGER NOT NULL DEFAULT 0,
    email       TEXT    NOT NULL DEFAULT '',
    actor       TEXT    NOT NULL DEFAULT '',
    address     TEXT    NOT NULL DEFAULT '',
    user_agent  TEXT    NOT NULL DEFAULT '',
    detail      TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX audit_events_org_at ON audit_events (org_id, at);
CREATE INDEX audit_events_org_email_at ON audit_events (org_id, email, at);
CREATE INDEX audit_events_org_kind_at ON audit_events (org_id, kind, at);
CREATE INDEX audit_events_at ON audit_events (at);

CREATE TRIGGER audit_events_append_only BEFORE UPDATE ON audit_events
BEGIN
    SELECT RAISE(ABORT, 'audit events are append-only');
END;
