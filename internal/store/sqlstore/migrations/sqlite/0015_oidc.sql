-- Every organisation is an OpenID Connect provider: its signing keys
-- (private keys sealed with the server's secret key), the authorization
-- requests between a portal's redirect and the code exchange, and the
-- access and refresh tokens (only their SHA-256).
CREATE TABLE oidc_signing_keys (
    id           TEXT    PRIMARY KEY,
    org_id       INTEGER  NOT NULL REFERENCES organisations(id) ON DELETE CASCADE,
    algorithm    TEXT    NOT NULL,
    public_key   BLOB   NOT NULL,
    private_key  BLOB   NOT NULL,
    created_at   INTEGER  NOT NULL,
    active_from  INTEGER  NOT NULL
);
CREATE UNIQUE INDEX oidc_signing_keys_slot ON oidc_signing_keys (org_id, algorithm, active_from);

CREATE TABLE oidc_auth_requests (
    id                    TEXT    PRIMARY KEY,
    org_id                INTEGER  NOT NULL REFERENCES organisations(id) ON DELETE CASCADE,
    client_id             TEXT    NOT NULL,
    redirect_uri          TEXT    NOT NULL,
    state                 TEXT    NOT NULL,
    nonce                 TEXT    NOT NULL,
    scopes                TEXT    NOT NULL,
    response_type         TEXT    NOT NULL,
    response_mode         TEXT    NOT NULL,
    code_challenge        TEXT    NOT NULL,
    code_challenge_method TEXT    NOT NULL,
    prompt                TEXT    NOT NULL,
    max_age               INTEGER  NOT NULL,
    acr_values            TEXT    NOT NULL,
    id_token_hint_subject TEXT    NOT NULL,
    browser_hash          BLOB,
    session_id            INTEGER  NOT NULL DEFAULT 0,
    member_id             INTEGER  NOT NULL DEFAULT 0,
    auth_time             INTEGER  NOT NULL DEFAULT 0,
    amr                   TEXT    NOT NULL DEFAULT '',
    done                  INTEGER NOT NULL DEFAULT 0,
    code_hash             BLOB   UNIQUE,
    code_expires_at       INTEGER  NOT NULL DEFAULT 0,
    code_used_at          INTEGER  NOT NULL DEFAULT 0,
    created_at            INTEGER  NOT NULL,
    expires_at            INTEGER  NOT NULL
);
CREATE INDEX oidc_auth_requests_expires ON oidc_auth_requests (expires_at);

CREATE TABLE oidc_tokens (
    id          INTEGER PRIMARY KEY,
    org_id      INTEGER  NOT NULL REFERENCES organisations(id) ON DELETE CASCADE,
    kind        TEXT    NOT NULL,
    token_hash  BLOB   NOT NULL UNIQUE,
    family      TEXT    NOT NULL,
    client_id   TEXT    NOT NULL,
    member_id   INTEGER  NOT NULL,
    session_id  INTEGER  NOT NULL,
    scopes      TEXT    NOT NULL,
    amr         TEXT    NOT NULL,
    auth_time   INTEGER  NOT NULL,
    created_at  INTEGER  NOT NULL,
    expires_at  INTEGER  NOT NULL,
    rotated_at  INTEGER  NOT NULL DEFAULT 0
);
CREATE INDEX oidc_tokens_family ON oidc_tokens (org_id, family);
CREATE INDEX oidc_tokens_member ON oidc_tokens (org_id, member_id, client_id);
CREATE INDEX oidc_tokens_expires ON oidc_tokens (expires_at);
