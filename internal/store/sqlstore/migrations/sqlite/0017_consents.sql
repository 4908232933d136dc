-- Members' consents to portals that are not first-party, and the portals
-- each member has used (My Profile → Portals): one row per organisation,
-- member and portal.
CREATE TABLE oidc_consents (
    org_id           INTEGER  NOT NULL REFERENCES organisations(id) ON DELETE CASCADE,
    member_id        INTEGER  NOT NULL REFERENCES members(id) ON DELETE CASCADE,
    client_id        TEXT    NOT NULL,
    scopes           TEXT    NOT NULL DEFAULT '',
    consented_scopes TEXT    NOT NULL DEFAULT '',
    consented_at     INTEGER  NOT NULL DEFAULT 0,
    last_used_at     INTEGER  NOT NULL DEFAULT 0,
    PRIMARY KEY (org_id, member_id, client_id)
);
