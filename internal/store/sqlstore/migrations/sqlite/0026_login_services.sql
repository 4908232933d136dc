-- Login services: the external identity providers (OpenID Connect
-- upstreams) an organisation enables beside IMS Login Service. Client
-- secrets are sealed with the server key, bound to their organisation.
-- Scopes are stored space-separated.
CREATE TABLE login_services (
    id             INTEGER PRIMARY KEY,
    org_id         INTEGER  NOT NULL REFERENCES organisations(id) ON DELETE CASCADE,
    kind           TEXT    NOT NULL,
    name           TEXT    NOT NULL,
    name_key       TEXT    NOT NULL,
    issuer         TEXT    NOT NULL,
    client_id      TEXT    NOT NULL,
    client_secret  BLOB    NOT NULL,
    scopes         TEXT    NOT NULL DEFAULT '',
    username_claim TEXT    NOT NULL,
    enabled        INTEGER NOT NULL,
    created_at     INTEGER  NOT NULL,
    updated_at     INTEGER  NOT NULL,
    UNIQUE (org_id, name_key)
);

-- A member's account at an external login service: keyed by (service,
-- subject), never by email. A member has at most one; linking another
-- replaces it.
CREATE TABLE member_identities (
    member_id  INTEGER NOT NULL PRIMARY KEY REFERENCES members(id) ON DELETE CASCADE,
    org_id     INTEGER NOT NULL REFERENCES organisations(id) ON DELETE CASCADE,
    service_id INTEGER NOT NULL REFERENCES login_services(id) ON DELETE CASCADE,
    subject    TEXT   NOT NULL,
    username   TEXT   NOT NULL DEFAULT '',
    linked_at  INTEGER NOT NULL,
    UNIQUE (service_id, subject)
);
CREATE INDEX member_identities_org ON member_identities (org_id);

-- Sign-ins sent to a login service and not back yet: found by the hash of
-- the state parameter, bound to the browser by the hash of a cookie, used
-- once.
CREATE TABLE login_service_states (
    state_hash   BLOB   NOT NULL PRIMARY KEY,
    org_id       INTEGER NOT NULL REFERENCES organisations(id) ON DELETE CASCADE,
    service_id   INTEGER NOT NULL REFERENCES login_services(id) ON DELETE CASCADE,
    browser_hash BLOB   NOT NULL,
    nonce        TEXT   NOT NULL,
    verifier     TEXT   NOT NULL,
    return_to    TEXT   NOT NULL DEFAULT '',
    link_hash    BLOB,
    expires_at   INTEGER NOT NULL
);
CREATE INDEX login_service_states_expiry ON login_service_states (expires_at);
