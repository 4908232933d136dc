-- An organisation's settings for sign-ins through its login services. No
-- row means the defaults: such a sign-in still passes the organisation's
-- own MFA.
CREATE TABLE login_service_settings (
    org_id       BIGINT NOT NULL PRIMARY KEY REFERENCES organisations(id) ON DELETE CASCADE,
    external_mfa BOOLEAN NOT NULL DEFAULT TRUE,
    updated_at   BIGINT NOT NULL
);
