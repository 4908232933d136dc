-- Multi-factor authentication: the organisation's policy, each member's
-- enrolled factors and last method, trusted devices, the SMS outbox, and the
-- methods a sign-in used (amr) on flows and sessions.
CREATE TABLE organisation_mfa (
    org_id                  INTEGER PRIMARY KEY REFERENCES organisations(id) ON DELETE CASCADE,
    required                INTEGER NOT NULL DEFAULT 0,
    methods                 TEXT    NOT NULL DEFAULT '',
    trusted_device_seconds  INTEGER NOT NULL DEFAULT 2592000
        CHECK (trusted_device_seconds BETWEEN 0 AND 31536000)
);

-- One row per enrolled factor: an authenticator app, a security key, a
-- verified phone, a backup code. secret is the method's own (a TOTP key, a
-- WebAuthn credential, a code's hash); counter guards against replay.
CREATE TABLE mfa_factors (
    id           INTEGER PRIMARY KEY,
    org_id       INTEGER NOT NULL REFERENCES organisations(id) ON DELETE CASCADE,
    member_id    INTEGER NOT NULL REFERENCES members(id) ON DELETE CASCADE,
    method       TEXT    NOT NULL,
    name         TEXT    NOT NULL DEFAULT '',
    secret       BLOB    NOT NULL,
    counter      INTEGER NOT NULL DEFAULT 0,
    created_at   INTEGER NOT NULL,
    last_used_at INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX mfa_factors_member ON mfa_factors (org_id, member_id, method);

CREATE TABLE member_mfa (
    org_id      INTEGER NOT NULL REFERENCES organisations(id) ON DELETE CASCADE,
    member_id   INTEGER NOT NULL REFERENCES members(id) ON DELETE CASCADE,
    last_method TEXT    NOT NULL DEFAULT '',
    PRIMARY KEY (org_id, member_id)
);

CREATE TABLE trusted_devices (
    id           INTEGER PRIMARY KEY,
    token_hash   BLOB    NOT NULL UNIQUE,
    org_id       INTEGER NOT NULL REFERENCES organisations(id) ON DELETE CASCADE,
    member_id    INTEGER NOT NULL REFERENCES members(id) ON DELETE CASCADE,
    user_agent   TEXT    NOT NULL DEFAULT '',
    created_at   INTEGER NOT NULL,
    last_used_at INTEGER NOT NULL,
    expires_at   INTEGER NOT NULL
);
CREATE INDEX trusted_devices_member ON trusted_devices (org_id, member_id);

CREATE TABLE sms_outbox (
    id              INTEGER PRIMARY KEY,
    org_id          INTEGER NOT NULL REFERENCES organisations(id) ON DELETE CASCADE,
    to_number       TEXT    NOT NULL,
    body            TEXT    NOT NULL,
    status          TEXT    NOT NULL CHECK (status IN ('pending', 'sent', 'failed')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    claimed_until   INTEGER NOT NULL DEFAULT 0,
    claim           TEXT    NOT NULL DEFAULT '',
    last_error      TEXT    NOT NULL DEFAULT '',
    created_at      INTEGER NOT NULL,
    sent_at         INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX sms_outbox_due ON sms_outbox (status, next_attempt_at);
CREATE INDEX sms_outbox_org ON sms_outbox (org_id, id);

ALTER TABLE sessions ADD COLUMN amr TEXT NOT NULL DEFAULT '';
ALTER TABLE signin_flows ADD COLUMN amr TEXT NOT NULL DEFAULT '';
ALTER TABLE signin_flows ADD COLUMN mfa_method TEXT NOT NULL DEFAULT '';
