-- Registrations: a member a Site Administrator registered for a portal,
-- who sets up or links an account through the emailed link. The link
-- itself is a link token (purpose "registration"); this row says where
-- the last email went, until when it works, and from when the days until
-- an unlinked profile's removal are counted (reset by administrators).
CREATE TABLE registrations (
    member_id  BIGINT NOT NULL PRIMARY KEY REFERENCES members(id) ON DELETE CASCADE,
    org_id     BIGINT NOT NULL REFERENCES organisations(id) ON DELETE CASCADE,
    portal_id  BIGINT REFERENCES portals(id) ON DELETE SET NULL,
    email      TEXT   NOT NULL,
    sent_at    BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    count_from BIGINT NOT NULL
);
CREATE INDEX registrations_org ON registrations (org_id);
CREATE INDEX registrations_count_from ON registrations (count_from);
