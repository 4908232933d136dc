-- Per portal: whether an authorization request must carry a PKCE code
-- challenge, and the scopes the portal may ask for (space-separated, the
-- provider's order). Portals registered before keep what they had: public
-- ones require PKCE (they always must), confidential ones do not; every
-- portal may ask for every scope.
ALTER TABLE portals ADD COLUMN require_pkce INTEGER NOT NULL DEFAULT 1;
ALTER TABLE portals ADD COLUMN allowed_scopes TEXT NOT NULL DEFAULT 'openid profile email offline_access roles';
UPDATE portals SET require_pkce = 0 WHERE confidential = 1;
