-- Administration: organisation settings and licences, custom roles, member
-- profiles and permissions, profile pictures and API tokens.
ALTER TABLE organisations ADD COLUMN licences INTEGER NOT NULL DEFAULT 10 CHECK (licences BETWEEN 0 AND 1000000);
ALTER TABLE organisations ADD COLUMN password_min_length INTEGER NOT NULL DEFAULT 15
    CHECK (password_min_length BETWEEN 8 AND 64);
ALTER TABLE organisations ADD COLUMN registration_seconds INTEGER NOT NULL DEFAULT 604800
    CHECK (registration_seconds BETWEEN 3600 AND 2592000);
ALTER TABLE organisations ADD COLUMN unlinked_removal_days INTEGER NOT NULL DEFAULT 30
    CHECK (unlinked_removal_days BETWEEN 1 AND 365);
ALTER TABLE organisations ADD COLUMN notify_member_lockout INTEGER NOT NULL DEFAULT 1;
ALTER TABLE organisations ADD COLUMN notify_password_change INTEGER NOT NULL DEFAULT 1;
-- Existing organisations keep every licence they already use.
UPDATE organisations SET licences = max(10, (SELECT COUNT(*) FROM members m WHERE m.org_id = organisations.id AND m.licensed = 1));

CREATE TABLE roles (
    id          INTEGER PRIMARY KEY,
    org_id      INTEGER NOT NULL REFERENCES organisations(id) ON DELETE CASCADE,
    name        TEXT    NOT NULL,
    name_key    TEXT    NOT NULL,
    permissions TEXT    NOT NULL DEFAULT '',
    created_at  INTEGER NOT NULL,
    UNIQUE (org_id, name_key)
);

ALTER TABLE members ADD COLUMN name_key TEXT NOT NULL DEFAULT '';
ALTER TABLE members ADD COLUMN about_me TEXT NOT NULL DEFAULT '';
ALTER TABLE members ADD COLUMN role_id INTEGER REFERENCES roles(id);
ALTER TABLE members ADD COLUMN permissions TEXT NOT NULL DEFAULT '';
ALTER TABLE members ADD COLUMN picture_at INTEGER NOT NULL DEFAULT 0;
UPDATE members SET name_key = lower(name);
-- Team Members sorts by these with keyset paging; (org_id, email) is already
-- unique. The name index also carries email, so a search sorted by name
-- reads only the index until it has a page of matches.
CREATE INDEX members_org_name ON members (org_id, name_key, id, email);
CREATE INDEX members_org_licensed ON members (org_id, licensed);
CREATE INDEX members_org_status ON members (org_id, status, id);
CREATE INDEX members_org_last_signin ON members (org_id, last_signin_at, id);
CREATE INDEX members_role ON members (role_id);

CREATE TABLE member_pictures (
    org_id       INTEGER NOT NULL,
    member_id    INTEGER NOT NULL REFERENCES members(id) ON DELETE CASCADE,
    content_type TEXT    NOT NULL,
    data         BLOB    NOT NULL,
    updated_at   INTEGER NOT NULL,
    PRIMARY KEY (org_id, member_id)
);

CREATE TABLE api_tokens (
    id           INTEGER PRIMARY KEY,
    org_id       INTEGER NOT NULL REFERENCES organisations(id) ON DELETE CASCADE,
    name         TEXT    NOT NULL,
    token_hash   BLOB    NOT NULL UNIQUE,
    permissions  TEXT    NOT NULL,
    created_by   TEXT    NOT NULL,
    created_at   INTEGER NOT NULL,
    last_used_at INTEGER NOT NULL DEFAULT 0,
    UNIQUE (org_id, name)
);
