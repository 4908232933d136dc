-- Every organisation has a URL name (acme-corp), unique, that names it in
-- addresses: its sign-in page {public URL}/o/{url-name}/login and its issuer.
-- SQL cannot derive it from the name the same way on both dialects (SQLite has
-- no regular expressions, neither folds accents), so this fills a unique
-- placeholder, org-<id>; the Go step of this migration (fillURLNames, in the
-- same transaction) then gives each organisation, oldest first, the URL name
-- store.URLNameOf derives from its name, with -2, -3… when it is taken.
ALTER TABLE organisations ADD COLUMN url_name TEXT NOT NULL DEFAULT '';
UPDATE organisations SET url_name = 'org-' || id;
CREATE UNIQUE INDEX organisations_url_name ON organisations (url_name);
