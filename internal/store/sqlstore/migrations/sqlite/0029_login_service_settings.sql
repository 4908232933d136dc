-- An organisation's settings for sign-ins through its login services. No
-- row means the defaults: such a sign-in still passes the organisation's
-- own MFA.
CREATE TABLE login_service_settings (
    org_id       INTEGER NOT NULL PRIMARY KEY REFERENCES organisations(id) ON DELETE CASCADE,
    external_mfa INTEGER NOT NULL DEFAULT 1,
    updated_at   INTEGER NOT NULL
);
