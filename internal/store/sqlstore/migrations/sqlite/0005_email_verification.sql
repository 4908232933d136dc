-- Email verification: the organisation setting, and one-time codes sent to
-- prove a member reads an address (at sign-in, or a new address from My
-- Profile). Only a code's SHA-256 is kept, and only the newest code of a
-- member and purpose exists: sending one replaces the last. destination is
-- the address the code went to; for a change of address it is the pending
-- address, kept beside the current one until the code proves it. attempts
-- counts wrong guesses made outside a sign-in (My Profile) and survives a
-- resend, so sending a new code never resets it.
ALTER TABLE organisations ADD COLUMN require_verified_email INTEGER NOT NULL DEFAULT 1;

CREATE TABLE one_time_codes (
    org_id      INTEGER NOT NULL REFERENCES organisations(id) ON DELETE CASCADE,
    member_id   INTEGER NOT NULL REFERENCES members(id) ON DELETE CASCADE,
    purpose     TEXT   NOT NULL,
    code_hash   BLOB   NOT NULL,
    destination TEXT   NOT NULL,
    sent_at     INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL,
    attempts    INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (org_id, member_id, purpose)
);
