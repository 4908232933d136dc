-- An organisation's branding (Admin Settings → Details → Branding): an
-- accent colour and a logo (a PNG the server re-encoded), one row per
-- organisation that set any.
CREATE TABLE organisation_branding (
    org_id     INTEGER NOT NULL PRIMARY KEY REFERENCES organisations(id) ON DELETE CASCADE,
    accent     TEXT    NOT NULL DEFAULT '',
    logo       BLOB    NOT NULL,
    updated_at INTEGER NOT NULL
);
