-- An organisation's branding (Admin Settings → Details → Branding): an
-- accent colour and a logo (a PNG the server re-encoded), one row per
-- organisation that set any.
CREATE TABLE organisation_branding (
    org_id     BIGINT NOT NULL PRIMARY KEY REFERENCES organisations(id) ON DELETE CASCADE,
    accent     TEXT   NOT NULL DEFAULT '',
    logo       BYTEA  NOT NULL,
    updated_at BIGINT NOT NULL
);
