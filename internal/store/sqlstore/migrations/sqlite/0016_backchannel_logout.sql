-- Back-channel logout: which portals each session gave tokens to (kept
-- until the session's absolute end), and the outbox of logout tokens to
-- deliver to those portals when the session ends. Sessions are not
-- referenced: a row outlives the session it names by design (it is taken
-- in the transaction that ends the session).
CREATE TABLE oidc_session_portals (
    org_id     INTEGER NOT NULL REFERENCES organisations(id) ON DELETE CASCADE,
    session_id INTEGER NOT NULL,
    client_id  TEXT    NOT NULL,
    member_id  INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    PRIMARY KEY (session_id, client_id)
);
CREATE INDEX oidc_session_portals_member ON oidc_session_portals (org_id, member_id);
CREATE INDEX oidc_session_portals_expires ON oidc_session_portals (expires_at);

CREATE TABLE oidc_logout_outbox (
    id              INTEGER PRIMARY KEY,
    org_id          INTEGER NOT NULL REFERENCES organisations(id) ON DELETE CASCADE,
    client_id       TEXT    NOT NULL,
    member_id       INTEGER NOT NULL,
    session_id      INTEGER NOT NULL,
    jti             TEXT    NOT NULL,
    status          TEXT    NOT NULL CHECK (status IN ('pending', 'sent', 'failed')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    claimed_until   INTEGER NOT NULL DEFAULT 0,
    claim           TEXT    NOT NULL DEFAULT '',
    last_error      TEXT    NOT NULL DEFAULT '',
    created_at      INTEGER NOT NULL,
    sent_at         INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX oidc_logout_outbox_due ON oidc_logout_outbox (status, next_attempt_at);
CREATE INDEX oidc_logout_outbox_done ON oidc_logout_outbox (status, created_at);
CREATE INDEX oidc_logout_outbox_org ON oidc_logout_outbox (org_id, id);
