-- The organisation's official address is its sign-in URL; "portal" names the
-- applications that sign members in through single sign-on.
ALTER TABLE organisations RENAME COLUMN portal_url TO sign_in_url;
