-- Organisations, members, sessions and sign-in flows.
-- Times are Unix milliseconds (UTC) in both dialects, so comparisons are exact.
CREATE TABLE organisations (
    id                          INTEGER PRIMARY KEY,
    name                        TEXT    NOT NULL,
    name_key                    TEXT    NOT NULL UNIQUE,
    portal_url                  TEXT    NOT NULL DEFAULT '',
    session_idle_seconds        INTEGER NOT NULL,
    session_absolute_seconds    INTEGER NOT NULL,
    remember_me_idle_seconds    INTEGER NOT NULL,
    remember_me_seconds         INTEGER NOT NULL,
    created_at                  INTEGER NOT NULL
);

CREATE TABLE members (
    id              INTEGER PRIMARY KEY,
    org_id          INTEGER NOT NULL REFERENCES organisations(id) ON DELETE CASCADE,
    email           TEXT    NOT NULL,
    name            TEXT    NOT NULL,
    role            TEXT    NOT NULL CHECK (role IN ('owner', 'administrator', 'member')),
    status          TEXT    NOT NULL CHECK (status IN ('invited', 'active', 'disabled')),
    licensed        INTEGER NOT NULL DEFAULT 1,
    data_access     INTEGER NOT NULL DEFAULT 0,
    email_verified  INTEGER NOT NULL DEFAULT 0,
    password_hash   TEXT    NOT NULL DEFAULT '',
    created_at      INTEGER NOT NULL,
    last_signin_at  INTEGER NOT NULL DEFAULT 0,
    UNIQUE (org_id, email)
);

CREATE TABLE sessions (
    id              INTEGER PRIMARY KEY,
    token_hash      BLOB    NOT NULL UNIQUE,
    org_id          INTEGER NOT NULL REFERENCES organisations(id) ON DELETE CASCADE,
    member_id       INTEGER NOT NULL REFERENCES members(id) ON DELETE CASCADE,
    persistent      INTEGER NOT NULL,
    created_at      INTEGER NOT NULL,
    last_seen_at    INTEGER NOT NULL,
    auth_time       INTEGER NOT NULL,
    expires_at      INTEGER NOT NULL,
    user_agent      TEXT    NOT NULL,
    address         TEXT    NOT NULL
);
CREATE INDEX sessions_member ON sessions (org_id, member_id);

CREATE TABLE signin_flows (
    token_hash      BLOB    PRIMARY KEY,
    org_id          INTEGER NOT NULL REFERENCES organisations(id) ON DELETE CASCADE,
    member_id       INTEGER NOT NULL REFERENCES members(id) ON DELETE CASCADE,
    step            TEXT    NOT NULL,
    remember_me     INTEGER NOT NULL,
    return_to       TEXT    NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    created_at      INTEGER NOT NULL,
    expires_at      INTEGER NOT NULL
);
