-- Portals: an organisation's OpenID Connect clients, who may use each, and
-- confidential portals' client secrets (hashes only). Client IDs are unique
-- across organisations: the token endpoint finds the portal by it first.
-- URIs are stored space-separated (a valid URI holds no space).
CREATE TABLE portals (
    id                        INTEGER PRIMARY KEY,
    org_id                    INTEGER NOT NULL REFERENCES organisations(id) ON DELETE CASCADE,
    client_id                 TEXT    NOT NULL UNIQUE,
    name                      TEXT    NOT NULL,
    name_key                  TEXT    NOT NULL,
    redirect_uris             TEXT    NOT NULL DEFAULT '',
    post_logout_redirect_uris TEXT    NOT NULL DEFAULT '',
    backchannel_logout_uri    TEXT    NOT NULL DEFAULT '',
    home_url                  TEXT    NOT NULL DEFAULT '',
    confidential              INTEGER NOT NULL,
    first_party               INTEGER NOT NULL,
    access                    TEXT    NOT NULL CHECK (access IN ('all', 'roles', 'members')),
    access_token_seconds      INTEGER NOT NULL,
    id_token_seconds          INTEGER NOT NULL,
    refresh_token_seconds     INTEGER NOT NULL,
    refresh_grace_seconds     INTEGER NOT NULL DEFAULT 0,
    signing_algorithm         TEXT    NOT NULL CHECK (signing_algorithm IN ('ES256', 'RS256')),
    created_at                INTEGER NOT NULL,
    updated_at                INTEGER NOT NULL,
    UNIQUE (org_id, name_key)
);

-- The roles whose holders may use a portal: a built-in role by name, or a
-- custom role by ID, gone with the role (an ID SQLite may hand out again
-- never inherits the access).
CREATE TABLE portal_roles (
    portal_id INTEGER NOT NULL REFERENCES portals(id) ON DELETE CASCADE,
    org_id    INTEGER NOT NULL,
    builtin   TEXT    CHECK (builtin IN ('owner', 'administrator', 'member')),
    role_id   INTEGER REFERENCES roles(id) ON DELETE CASCADE,
    CHECK ((builtin IS NULL) <> (role_id IS NULL))
);
CREATE INDEX portal_roles_portal ON portal_roles (portal_id);
CREATE INDEX portal_roles_role ON portal_roles (role_id);

-- The members chosen to use a portal, gone with the member.
CREATE TABLE portal_members (
    portal_id INTEGER NOT NULL REFERENCES portals(id) ON DELETE CASCADE,
    org_id    INTEGER NOT NULL,
    member_id INTEGER NOT NULL REFERENCES members(id) ON DELETE CASCADE,
    PRIMARY KEY (portal_id, member_id)
);
CREATE INDEX portal_members_member ON portal_members (member_id);

-- Client secrets: the current one has expires_at 0; a rotated one works
-- until its expires_at.
CREATE TABLE portal_secrets (
    id         INTEGER PRIMARY KEY,
    org_id     INTEGER NOT NULL,
    portal_id  INTEGER NOT NULL REFERENCES portals(id) ON DELETE CASCADE,
    hash       BLOB    NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX portal_secrets_portal ON portal_secrets (portal_id);
